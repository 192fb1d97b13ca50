/**
 * `PagesOptions.rowsAsText` against loopback fakes: which page loops keep pages as text (a compact
 * array body, a paginator that reads headers only, nothing that changes rows), that text pages read
 * as objects give the rows a parsed run gives, and that everything else is parsed as before.
 */
import t, { type Test } from 'tap'
import type { Endpoint, PaginatorDecl } from '../../src/engine/declarations.js'
import { rawRowsOf } from '../../src/engine/raw-rows.js'
import type { Page, PagesOptions, RestClient } from '../../src/engine/types.js'
import { startRestFake, type RestFake } from '../fakes/rest-fake.js'
import { collect, testRun, testServices } from './helpers.js'

const ISSUES = Array.from({ length: 5 }, (_, i) => ({ id: i + 1, title: `Issue ${i + 1}`, updated_at: `2024-01-0${i + 1}T00:00:00Z`, user: { login: 'octo', id: 7 } }))

/** Two rows a page, Link header to the next; `pretty` answers with indented JSON (valid, not compact). */
async function linkFake (): Promise<RestFake> {
  let fake: RestFake | undefined
  fake = await startRestFake({
    'GET /repos/:owner/:repo/issues': (req) => {
      const page = Number(req.query.get('page') ?? '1')
      const rows = ISSUES.slice((page - 1) * 2, page * 2)
      const next: Record<string, string> = page * 2 < ISSUES.length ? { link: `<${fake?.url}${req.path}?page=${page + 1}>; rel="next"` } : {}
      return req.params.repo === 'pretty' ? { headers: next, text: JSON.stringify(rows, null, 2) } : { headers: next, json: rows }
    },
    'GET /wrapped': () => ({ json: { count: ISSUES.length, items: ISSUES, meta: { items: ISSUES } } }),
    'GET /truncated': () => ({ text: '[{"id":1},{"id":' }),
    'GET /repos': () => ({ json: [{ full_name: 'octo/a' }, { full_name: 'octo/b' }] })
  })
  return fake
}

const fanOut = { parent: 'repositories', resolveParam: 'repo', resolveField: 'full_name', includeFromParent: ['full_name'], renames: { _repositories_full_name: 'repository' } }
const issues: Endpoint = { name: 'issues', primaryKeys: ['id'], path: '/repos/{repo}/issues', paginator: { type: 'link_header' }, fanOut, incrementalFields: [{ field: 'updated_at', type: 'datetime' }, { field: 'user.id', type: 'integer' }] }

function clientOf (t: Test, fake: RestFake): RestClient {
  const services = testServices()
  t.teardown(async () => { await services.close() })
  return services.createClient({ source: 'Test', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
}

async function both (t: Test, fake: RestFake, endpoint: Endpoint, options: PagesOptions): Promise<Page[]> {
  const client = clientOf(t, fake)
  const parsed = await collect(client.pages(endpoint, options))
  const pages: Page[] = []
  for await (const page of client.pages(endpoint, { ...options, rowsAsText: true })) pages.push(page)
  const text = pages.map((page) => ({ raw: rawRowsOf(page), page }))
  t.equal(JSON.stringify(text.flatMap((p) => p.page.rows)), JSON.stringify(parsed.rows), 'the same rows, keys in the same order')
  return text.map((p) => Object.assign(p.page, { text: p.raw !== undefined }))
}

const textOf = (pages: Page[]): boolean[] => pages.map((p) => (p as Page & { text: boolean }).text)

t.test('a fan-out over a Link-header list stays text, the parent column spliced in; watermark fields read off the text', async (t) => {
  const fake = await linkFake()
  t.teardown(async () => { await fake.close() })
  const client = clientOf(t, fake)
  const pages: Page[] = []
  for await (const page of client.pages(issues, { parents: { repositories: [{ full_name: 'octo/a' }] }, rowsAsText: true, incremental: { field: 'updated_at' } })) pages.push(page)
  const raws = pages.map((page) => rawRowsOf(page))
  t.same(raws.slice(0, 3).map((raw) => raw?.columns), [',"repository":"octo/a"', ',"repository":"octo/a"', ',"repository":"octo/a"'])
  t.same(raws.slice(0, 3).flatMap((raw) => [...(raw?.values.get('updated_at') ?? [])]), ISSUES.map((i) => i.updated_at))
  t.same(pages.flatMap((page) => page.rows), ISSUES.map((i) => ({ ...i, repository: 'octo/a' })))
  await both(t, fake, issues, { parents: { repositories: [{ full_name: 'octo/a' }, { full_name: 'octo/b' }] } })
})

t.test('parsed as before: a pretty-printed page, added fields, a selector, a paginator reading the body, a nested watermark, a catalog parent', async (t) => {
  const fake = await linkFake()
  t.teardown(async () => { await fake.close() })
  const parents = { repositories: [{ full_name: 'octo/pretty' }] }
  t.same(textOf(await both(t, fake, issues, { parents })), [false, false, false, false], 'indented JSON')
  const statics = { parents: { repositories: [{ full_name: 'octo/a' }] } }
  t.same(textOf(await both(t, fake, { ...issues, addFields: { author: 'user.login' } }, statics)).slice(0, 3), [false, false, false], 'addFields')
  t.same(textOf(await both(t, fake, issues, { ...statics, incremental: { field: 'user.id' } })).slice(0, 3), [false, false, false], 'a watermark on a nested field')
  t.same(textOf(await both(t, fake, { ...issues, removeFields: ['user'] }, statics)).slice(0, 3), [false, false, false], 'removeFields')
  const nested: Endpoint = { name: 'nested', primaryKeys: ['id'], path: '/wrapped', paginator: { type: 'single_page' }, dataSelector: 'meta.items', dataSelectorRequired: false }
  t.same(textOf(await both(t, fake, nested, {})), [false], 'a data selector deeper than one member')
  const missing: Endpoint = { name: 'missing', primaryKeys: ['id'], path: '/wrapped', paginator: { type: 'single_page' }, dataSelector: 'data', dataSelectorRequired: false }
  t.same(textOf(await both(t, fake, missing, {})), [false], 'a body without the member')
  const repositories: Endpoint = { name: 'repositories', primaryKeys: ['full_name'], path: '/repos', paginator: { type: 'link_header' } }
  const pages = await both(t, fake, issues, { catalog: [repositories] })
  t.same(textOf(pages), [true, true, true, true, true, true, false], 'children of catalog parents stay text (the final page has no rows)')
})

t.test('wrapped pages stay text: rows under one member, the rest of the body read by the paginator (Stripe-style has_more and last id)', async (t) => {
  const fake = await linkFake()
  t.teardown(async () => { await fake.close() })
  const wrapped: Endpoint = { name: 'wrapped', primaryKeys: ['id'], path: '/wrapped', paginator: { type: 'single_page' }, dataSelector: 'items' }
  t.same(textOf(await both(t, fake, wrapped, {})), [true], 'one member')
  const single: Endpoint = { name: 'single', primaryKeys: ['id'], path: '/repos/octo/{repo}/issues', paginator: { type: 'single_page' } }
  t.same(textOf(await both(t, fake, single, { pathParams: { repo: 'a' } })), [true], 'a paginator that reads the body')
  const stripe = await startRestFake({
    'GET /v1/charges': (req) => {
      const after = req.query.get('starting_after')
      const from = after === null ? 0 : ISSUES.findIndex((i) => String(i.id) === after) + 1
      return { json: { object: 'list', url: '/v1/charges', data: ISSUES.slice(from, from + 2), has_more: from + 2 < ISSUES.length } }
    }
  })
  t.teardown(async () => { await stripe.close() })
  const charges: Endpoint = { name: 'charges', primaryKeys: ['id'], path: '/v1/charges', dataSelector: 'data', paginator: { type: 'last_record_cursor', param: 'starting_after', recordField: 'id', hasMorePath: 'has_more' } }
  t.same(textOf(await both(t, stripe, charges, {})), [true, true, true], 'has_more from the rest of the body, the cursor from the last row alone')
  const byBody: Endpoint = { ...charges, name: 'by_body', paginator: { type: 'expression', cursorValue: "{{ response.data[-1].id if response.has_more else '' }}", inject: 'query', param: 'starting_after' } }
  t.same(textOf(await both(t, stripe, byBody, {})), [false, false, false], 'a paginator reading the rows through the body parses the page')
})

t.test('a truncated body on a text loop fails as before: retried, then a typed error', async (t) => {
  const fake = await linkFake()
  t.teardown(async () => { await fake.close() })
  const client = clientOf(t, fake)
  const truncated: Endpoint = { name: 'truncated', primaryKeys: ['id'], path: '/truncated', paginator: { type: 'link_header' } }
  await t.rejects(collect(client.pages(truncated, { rowsAsText: true })), { name: 'UpstreamResponseError' })
  t.ok(fake.hits('/truncated').length >= 2, 'retried as invalid JSON')
})

t.test('takesTextPages: what each paginator reads of the body decides which text pages it takes', async (t) => {
  const { createPaginator, takesTextPages } = await import('../../src/engine/paginators/index.js')
  const cases: Array<[PaginatorDecl, bare: boolean, wrapped: boolean]> = [
    [{ type: 'single_page' }, true, true],
    [{ type: 'link_header' }, true, true],
    [{ type: 'next_url', path: 'links.next' }, false, true],
    [{ type: 'cursor', cursorHeader: 'x-next', param: 'after' }, true, true],
    [{ type: 'cursor', cursorPath: 'next', param: 'after' }, false, true],
    [{ type: 'cursor', param: 'after' }, false, false],
    [{ type: 'last_record_cursor', recordField: 'id', param: 'starting_after' }, true, true],
    [{ type: 'last_record_cursor', recordField: 'id', param: 'starting_after', hasMorePath: 'has_more' }, false, true],
    [{ type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: 10 }, true, true],
    [{ type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: 10, totalPath: 'total' }, false, true],
    [{ type: 'page_number', pageParam: 'page' }, true, true],
    [{ type: 'page_number', pageParam: 'page', totalPagesPath: 'page_count' }, false, true],
    [{ type: 'expression', cursorValue: "{{ headers['link']['next']['url'] }}", inject: 'url' }, true, true],
    [{ type: 'expression', cursorValue: '{{ response.next }}', inject: 'query', param: 'c' }, false, false]
  ]
  for (const [decl, bare, wrapped] of cases) {
    const paginator = createPaginator(decl)
    t.same([takesTextPages(paginator, false), takesTextPages(paginator, true)], [bare, wrapped], JSON.stringify(decl))
  }
})
