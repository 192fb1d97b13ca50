/**
 * Table-driven paginator tests against real fakes on 127.0.0.1: each case follows one vendor's
 * documented contract, must yield every row exactly once in order, and must resume from every
 * page's state with exactly the rest.
 */
import t from 'tap'
import type { Endpoint } from '../../src/engine/declarations.js'
import { startRestFake, makeRows, type FakeHandler, type FakeRequest, type RestFake } from '../fakes/rest-fake.js'
import { collect, testRun, testServices } from './helpers.js'

const ROWS = makeRows(7)
const SIZE = 3

function slice (from: number): typeof ROWS { return ROWS.slice(from, from + SIZE) }
function indexAfter (id: string | null): number { return id === null ? 0 : ROWS.findIndex((r) => String(r.id) === id) + 1 }

interface Case {
  name: string
  endpoint: Omit<Endpoint, 'name' | 'primaryKeys'>
  routes: (fake: () => RestFake) => Record<string, FakeHandler>
  requests: number
}

const cases: Case[] = [
  {
    name: 'single_page',
    endpoint: { path: '/items', paginator: { type: 'single_page' }, dataSelector: 'data' },
    routes: () => ({ 'GET /items': () => ({ json: { data: ROWS } }) }),
    requests: 1
  },
  {
    name: 'link_header with a path switch (GitHub /repos/o/r → /repositories/123)',
    endpoint: { path: '/repos/octo/hello/issues', paginator: { type: 'link_header' }, pageSize: { param: 'per_page', value: SIZE } },
    routes: (fake) => {
      const page: FakeHandler = (req) => {
        const n = Number(req.query.get('page') ?? '1')
        const headers: Record<string, string> = {}
        if (n * SIZE < ROWS.length) {
          headers.link = `<${fake().url}/repositories/123/issues?per_page=${SIZE}&page=${n + 1}>; rel="next", <${fake().url}/repositories/123/issues?per_page=${SIZE}&page=3>; rel="last"`
        }
        return { headers, json: ROWS.slice((n - 1) * SIZE, n * SIZE) }
      }
      return { 'GET /repos/octo/hello/issues': page, 'GET /repositories/123/issues': page }
    },
    requests: 3
  },
  {
    name: 'link_header with known pages (GitHub next and last numbered by page: the pages between as a run)',
    endpoint: { path: '/repos/octo/hello/issues', paginator: { type: 'link_header', lastPageParam: 'page', knownPages: true }, pageSize: { param: 'per_page', value: 2 } },
    routes: (fake) => ({
      'GET /repos/octo/hello/issues': (req) => {
        const n = Number(req.query.get('page') ?? '1')
        const last = Math.ceil(ROWS.length / 2)
        const at = (page: number, rel: string): string => `<${fake().url}/repos/octo/hello/issues?per_page=2&page=${page}>; rel="${rel}"`
        const headers: Record<string, string> = n < last ? { link: `${at(n + 1, 'next')}, ${at(last, 'last')}` } : { link: at(n - 1, 'prev') }
        return { headers, json: ROWS.slice((n - 1) * 2, n * 2) }
      }
    }),
    requests: 4
  },
  {
    name: 'next_url in the body (Klaviyo links.next, relative)',
    endpoint: { path: '/api/profiles', paginator: { type: 'next_url', path: 'links.next' }, dataSelector: 'data' },
    routes: () => ({
      'GET /api/profiles': (req) => {
        const from = Number(req.query.get('page[cursor]') ?? '0')
        const next = from + SIZE < ROWS.length ? `/api/profiles?page%5Bcursor%5D=${from + SIZE}` : null
        return { json: { data: slice(from), links: { self: '/api/profiles', next } } }
      }
    }),
    requests: 3
  },
  {
    name: 'next_url gated by has_more (Zendesk meta.has_more)',
    endpoint: { path: '/api/v2/tickets', paginator: { type: 'next_url', path: 'links.next', hasMorePath: 'meta.has_more' }, dataSelector: 'tickets' },
    routes: (fake) => ({
      'GET /api/v2/tickets': (req) => {
        const from = Number(req.query.get('page[after]') ?? '0')
        const hasMore = from + SIZE < ROWS.length
        // Zendesk keeps a next link on the last page; only has_more says stop.
        return { json: { tickets: slice(from), meta: { has_more: hasMore }, links: { next: `${fake().url}/api/v2/tickets?page[after]=${from + SIZE}` } } }
      }
    }),
    requests: 3
  },
  {
    name: 'cursor in the body as a query param (HubSpot paging.next.after)',
    endpoint: { path: '/crm/v3/objects/contacts', paginator: { type: 'cursor', cursorPath: 'paging.next.after', param: 'after' }, dataSelector: 'results', pageSize: { param: 'limit', value: SIZE } },
    routes: () => ({
      'GET /crm/v3/objects/contacts': (req) => {
        const from = indexAfter(req.query.get('after'))
        const page = slice(from)
        const more = from + SIZE < ROWS.length
        return { json: { results: page, ...(more ? { paging: { next: { after: String(page[page.length - 1]?.id) } } } : {}) } }
      }
    }),
    requests: 3
  },
  {
    name: 'cursor in a JSON body (GraphQL pageInfo.endCursor + hasNextPage)',
    endpoint: {
      path: '/graphql',
      method: 'POST',
      json: { query: 'query($after: String) { items(first: 3, after: $after) { nodes { id } pageInfo { endCursor hasNextPage } } }' },
      paginator: { type: 'cursor', cursorPath: 'data.items.pageInfo.endCursor', param: 'after', in: 'json', hasMorePath: 'data.items.pageInfo.hasNextPage' },
      dataSelector: 'data.items.nodes'
    },
    routes: () => ({
      'POST /graphql': (req) => {
        const from = indexAfter(((req.body as { after?: string }).after) ?? null)
        const page = slice(from)
        return { json: { data: { items: { nodes: page, pageInfo: { endCursor: String(page[page.length - 1]?.id), hasNextPage: from + SIZE < ROWS.length } } } } }
      }
    }),
    requests: 3
  },
  {
    name: 'cursor in a response header',
    endpoint: { path: '/events', paginator: { type: 'cursor', cursorHeader: 'X-Next-Cursor', param: 'cursor' } },
    routes: () => ({
      'GET /events': (req) => {
        const from = Number(req.query.get('cursor') ?? '0')
        const headers: Record<string, string> = from + SIZE < ROWS.length ? { 'x-next-cursor': String(from + SIZE) } : {}
        return { headers, json: slice(from) }
      }
    }),
    requests: 3
  },
  {
    name: 'last record cursor (Stripe has_more + starting_after)',
    endpoint: { path: '/v1/customers', paginator: { type: 'last_record_cursor', recordField: 'id', param: 'starting_after', hasMorePath: 'has_more' }, dataSelector: 'data', pageSize: { param: 'limit', value: SIZE } },
    routes: () => ({
      'GET /v1/customers': (req) => {
        const from = indexAfter(req.query.get('starting_after'))
        return { json: { object: 'list', url: '/v1/customers', data: slice(from), has_more: from + SIZE < ROWS.length } }
      }
    }),
    requests: 3
  },
  {
    name: 'last record cursor with first-page-only filters and a short-page stop (Typeform since + before=<token>)',
    endpoint: {
      path: '/forms/f1/responses',
      paginator: { type: 'last_record_cursor', recordField: 'id', param: 'before' },
      params: { since: '2023-12-01T00:00:00', until: null },
      firstPageOnlyParams: ['since', 'until'],
      stopOnShortPage: true,
      dataSelector: 'items',
      pageSize: { param: 'page_size', value: SIZE }
    },
    routes: () => ({
      'GET /forms/f1/responses': (req) => {
        // Typeform refuses the time filters together with a token; the last page is short (7 rows, 3 a page).
        if (req.query.has('before') && (req.query.has('since') || req.query.has('until'))) return { status: 400, json: { code: 'VALIDATION_ERROR', description: 'since cannot be used with before' } }
        if (!req.query.has('before') && req.query.get('since') !== '2023-12-01T00:00:00') return { status: 400, json: { code: 'VALIDATION_ERROR', description: 'first page without its filter' } }
        return { json: { items: slice(indexAfter(req.query.get('before'))) } }
      }
    }),
    requests: 3
  },
  {
    name: 'offset with a total in the body',
    endpoint: { path: '/records', paginator: { type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: SIZE, totalPath: 'total' }, dataSelector: 'records' },
    routes: () => ({
      'GET /records': (req) => ({ json: { records: slice(Number(req.query.get('offset'))), total: ROWS.length } })
    }),
    requests: 3
  },
  {
    name: 'offset with a total header',
    endpoint: { path: '/records', paginator: { type: 'offset', offsetParam: 'skip', limitParam: 'take', limit: SIZE, totalHeader: 'X-Total-Count' } },
    routes: () => ({
      'GET /records': (req) => ({ headers: { 'x-total-count': String(ROWS.length) }, json: slice(Number(req.query.get('skip'))) })
    }),
    requests: 3
  },
  {
    name: 'offset stopping on a short page (no total)',
    endpoint: { path: '/records', paginator: { type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: SIZE }, dataSelector: 'records' },
    routes: () => ({
      'GET /records': (req) => ({ json: { records: slice(Number(req.query.get('offset'))) } })
    }),
    requests: 3
  },
  {
    name: 'page number with a total page count (Typeform page_count)',
    endpoint: { path: '/forms', paginator: { type: 'page_number', pageParam: 'page', totalPagesPath: 'page_count' }, dataSelector: 'items', pageSize: { param: 'page_size', value: SIZE } },
    routes: () => ({
      'GET /forms': (req) => {
        const n = Number(req.query.get('page'))
        return { json: { total_items: ROWS.length, page_count: Math.ceil(ROWS.length / SIZE), items: ROWS.slice((n - 1) * SIZE, n * SIZE) } }
      }
    }),
    requests: 3
  },
  {
    name: 'page number from 0 until an empty page',
    endpoint: { path: '/list', paginator: { type: 'page_number', pageParam: 'p', basePage: 0 } },
    routes: () => ({ 'GET /list': (req) => ({ json: slice(Number(req.query.get('p')) * SIZE) }) }),
    requests: 4
  }
]

for (const c of cases) {
  t.test(c.name, async (t) => {
    let fake: RestFake | undefined
    fake = await startRestFake(c.routes(() => fake as RestFake))
    const services = testServices()
    t.teardown(async () => { await services.close(); await fake?.close() })
    const endpoint = { name: 'items', primaryKeys: ['id'], ...c.endpoint } as Endpoint
    const client = services.createClient({ source: 'Test', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
    const { pages, rows } = await collect(client.pages(endpoint))
    t.same(rows.map((r) => r.id), ROWS.map((r) => r.id), 'every row once, in order')
    t.equal(fake.requests.length, c.requests, 'request count')
    t.ok(fake.requests.every((r) => [...new Set(r.query.keys())].every((k) => r.query.getAll(k).length === 1)), 'no query param sent twice (next URLs followed verbatim)')
    t.equal(pages[pages.length - 1]?.state, null, 'last state is null')
    for (let i = 0; i < pages.length; i++) {
      const state = pages[i]?.state ?? null
      if (state === null) continue
      const resumed = await collect(client.pages(endpoint, { resumeState: JSON.parse(JSON.stringify(state)) }))
      const expected = pages.slice(i + 1).flatMap((p) => p.rows).map((r) => r.id)
      t.same(resumed.rows.map((r) => r.id), expected, `resume after page ${i + 1}`)
    }
  })
}

t.test('page size and declared params are sent; null params are dropped', async (t) => {
  const fake = await startRestFake({ 'GET /items': () => ({ json: [] }) })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'Test', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const endpoint: Endpoint = { name: 'items', primaryKeys: ['id'], path: '/items', paginator: { type: 'single_page' }, params: { state: 'all', missing: null, flag: true }, pageSize: { param: 'per_page', value: 100 } }
  await collect(client.pages(endpoint))
  const req = fake.requests[0] as FakeRequest
  t.equal(req.query.get('state'), 'all')
  t.equal(req.query.get('flag'), 'true')
  t.equal(req.query.get('per_page'), '100')
  t.notOk(req.query.has('missing'), 'null param not sent')
})

t.test('a required data selector missing from the body fails loudly; optional means no rows', async (t) => {
  const fake = await startRestFake({ 'GET /items': () => ({ json: { error: null, results: [] } }) })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'Test', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const endpoint: Endpoint = { name: 'items', primaryKeys: ['id'], path: '/items', paginator: { type: 'single_page' }, dataSelector: 'data' }
  await t.rejects(collect(client.pages(endpoint)), { code: 'UPSTREAM_BAD_RESPONSE', message: /has no "data" field/ })
  // The URL in the error is redacted: the query (where an API key may travel) is not shown.
  const keyed = services.createClient({ source: 'Test', baseUrl: fake.url, auth: { type: 'api_key', in: 'query', name: 'api_key', key: 'sk_secret_0123456789' } }, testRun())
  const error = await collect(keyed.pages(endpoint)).then(() => undefined, (e: unknown) => e as { message: string, code: string })
  t.equal(error?.code, 'UPSTREAM_BAD_RESPONSE')
  t.match(error?.message, `Response from ${fake.url}/items has no "data" field.`)
  t.notMatch(error?.message, /sk_secret|api_key|\?/, 'no query, no key')
  t.same((await collect(client.pages({ ...endpoint, dataSelectorRequired: false }))).rows, [])
  t.same((await collect(client.pages({ ...endpoint, dataSelector: 'results' }))).rows, [])
})

t.test('link_header knownPages: a run only where the links prove numbered pages', async (t) => {
  const { linkHeaderPaginator } = await import('../../src/engine/paginators/link-header.js')
  const { KNOWN_RUN_MAX } = await import('../../src/engine/paginators/types.js')
  const paginator = linkHeaderPaginator({ type: 'link_header', lastPageParam: 'page', knownPages: true })
  const base = 'http://127.0.0.1:9'
  const step = (url: string, link: string): string[] => paginator.next({
    request: { method: 'GET', url },
    response: { status: 200, headers: { link }, body: [], url },
    rows: []
  }).map((r) => r.url)
  const issues = (page: number, extra = ''): string => `${base}/repositories/1/issues?state=all&per_page=100${extra}&page=${page}`
  t.same(step(`${base}/repositories/1/issues?state=all&per_page=100`, `<${issues(2)}>; rel="next", <${issues(4)}>; rel="last"`),
    [issues(2), issues(3), issues(4)], 'from the first page (no page param): pages 2 to the last')
  t.same(step(issues(5), `<${issues(4)}>; rel="prev", <${issues(6)}>; rel="next", <${issues(9)}>; rel="last"`),
    [6, 7, 8, 9].map((n) => issues(n)), 'from a middle page')
  t.same(step(`${base}/repositories/1/issues?page=1&per_page=100&state=all`, `<${issues(2)}>; rel="next", <${issues(3)}>; rel="last"`),
    [issues(2), issues(3)], 'query parameters in another order are the same request')
  t.equal(step(issues(1), `<${issues(2)}>; rel="next", <${issues(500)}>; rel="last"`).length, KNOWN_RUN_MAX, 'a run is at most KNOWN_RUN_MAX pages; the next run comes after it')
  t.same(step(`${base}/repos/o/r/issues?state=all&per_page=100`, `<${issues(2)}>; rel="next", <${issues(4)}>; rel="last"`),
    [issues(2)], 'a path switch (GitHub /repos/o/r → /repositories/1) is followed alone')
  t.same(step(issues(2), `<${issues(4)}>; rel="next", <${issues(9)}>; rel="last"`), [issues(4)], 'a gap (next is not this page + 1) is followed alone')
  t.same(step(issues(2), `<${issues(3)}>; rel="next", <${issues(9, '&since=x')}>; rel="last"`), [issues(3)], 'a last link with other params is no proof')
  const cursor = (after: string): string => `${base}/orgs/o/audit-log?per_page=100&after=${after}`
  t.same(step(cursor('a'), `<${cursor('b')}>; rel="next", <${cursor('z')}>; rel="last"`), [cursor('b')], 'cursor links are followed one at a time')
  t.same(step(issues(3), `<${issues(4)}>; rel="next"`), [issues(4)], 'no last link: one page')
  const labelled = (page: number): string => `${base}/repositories/1/issues?labels=a%20b,c+d&per_page=100&page=${page}`
  t.same(step(labelled(1), `<${labelled(2)}>; rel="next", <${labelled(4)}>; rel="last"`), [labelled(2), labelled(3), labelled(4)],
    'the links\' other bytes are kept as given (%20, a comma, a plus): only the page number changes')
  t.same(step(issues(1), `<${issues(2)}&page=7>; rel="next", <${issues(4)}>; rel="last"`), [`${issues(2)}&page=7`], 'a page param given twice is no proof')
  t.same(step(issues(3), `<${issues(4)}>; rel="next", <${issues(2)}>; rel="last"`), [issues(4)], 'a last before next: one page')
  const plain = linkHeaderPaginator({ type: 'link_header', lastPageParam: 'page' })
  t.same(plain.next({ request: { method: 'GET', url: issues(1) }, response: { status: 200, headers: { link: `<${issues(2)}>; rel="next", <${issues(4)}>; rel="last"` }, body: [], url: issues(1) }, rows: [] }).map((r) => r.url),
    [issues(2)], 'without knownPages, lastPageParam only states the count')
})

t.test('knownPages needs lastPageParam', async (t) => {
  const { defineEndpoints } = await import('../../src/engine/declarations.js')
  t.throws(() => defineEndpoints([{ name: 'i', primaryKeys: ['id'], path: '/i', paginator: { type: 'link_header', knownPages: true } }]), /i\/paginator\/knownPages: needs lastPageParam/)
  t.throws(() => defineEndpoints([{ name: 'i', primaryKeys: ['id'], path: '/i', paginator: { type: 'link_header', lastPageParam: 'page', knownPages: true, stopWhen: { attribute: 'results', value: 'false' } } }]),
    /i\/paginator\/knownPages: a stopWhen attribute/)
})
