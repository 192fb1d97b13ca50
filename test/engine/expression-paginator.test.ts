/**
 * The `expression` paginator (Airbyte's CursorPagination) against loopback fakes: the token from the
 * body, headers or last row, sent back as a query param, a header, a JSON body field or the next URL;
 * a stop condition; resume from every state; a next URL off the base origin refused by origin pinning.
 */
import t from 'tap'
import type { Endpoint } from '../../src/engine/declarations.js'
import { defineEndpoints } from '../../src/engine/declarations.js'
import { startRestFake, makeRows, type RestFake } from '../fakes/rest-fake.js'
import { collect, testRun, testServices } from './helpers.js'

const ROWS = makeRows(7)
const SIZE = 3

const services = testServices()
t.teardown(async () => { await services.close() })

async function run (fake: RestFake, endpoint: Endpoint, resumeState: Record<string, unknown> | null = null): Promise<Awaited<ReturnType<typeof collect>>> {
  const client = services.createClient({ source: 'ExpressionTest', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  return await collect(client.pages(endpoint, { resumeState }))
}

const cases: Array<{ name: string, endpoint: Omit<Endpoint, 'name' | 'primaryKeys'>, route: string, from: (req: { query: URLSearchParams, headers: Record<string, unknown>, body: unknown }) => number, reply: (from: number, fake: RestFake) => { json: unknown, headers?: Record<string, string> } }> = [
  {
    name: 'body cursor into a query param, stop condition on has_more',
    endpoint: { path: '/items', dataSelector: 'data', paginator: { type: 'expression', cursorValue: '{{ response.meta.next }}', stopCondition: '{{ not response.meta.has_more }}', inject: 'query', param: 'cursor' } },
    route: 'GET /items',
    from: (req) => Number(req.query.get('cursor') ?? '0'),
    reply: (from) => ({ json: { data: ROWS.slice(from, from + SIZE), meta: { has_more: from + SIZE < ROWS.length, next: String(from + SIZE) } } })
  },
  {
    name: 'last record id into a header',
    endpoint: { path: '/items', paginator: { type: 'expression', cursorValue: "{{ last_record['id'] if last_page_size == 3 else '' }}", inject: 'header', param: 'X-After' } },
    route: 'GET /items',
    from: (req) => { const after = req.headers['x-after']; return after === undefined ? 0 : ROWS.findIndex((r) => String(r.id) === after) + 1 },
    reply: (from) => ({ json: ROWS.slice(from, from + SIZE) })
  },
  {
    name: 'Link header next URL as the next request (RequestPath)',
    endpoint: { path: '/items', paginator: { type: 'expression', cursorValue: "{{ headers['link']['next']['url'] }}", inject: 'url' } },
    route: 'GET /items',
    from: (req) => Number(req.query.get('page') ?? '0'),
    reply: (from, fake) => ({ json: ROWS.slice(from, from + SIZE), headers: from + SIZE < ROWS.length ? { link: `<${fake.url}/items?page=${from + SIZE}>; rel="next"` } : {} as Record<string, string> })
  },
  {
    name: 'cursor into the JSON body of a POST',
    endpoint: { path: '/search', method: 'POST', json: { query: 'x' }, dataSelector: 'results', paginator: { type: 'expression', cursorValue: '{{ response.next_cursor }}', inject: 'json', param: 'cursor' } },
    route: 'POST /search',
    from: (req) => Number((req.body as { cursor?: string }).cursor ?? '0'),
    reply: (from) => ({ json: { results: ROWS.slice(from, from + SIZE), next_cursor: from + SIZE < ROWS.length ? String(from + SIZE) : null } })
  }
]

for (const c of cases) {
  t.test(c.name, async (t) => {
    const fake: RestFake = await startRestFake({ [c.route]: (req, f) => c.reply(c.from(req), f) })
    t.teardown(async () => { await fake.close() })
    const endpoint = defineEndpoints([{ name: 'items', primaryKeys: ['id'], ...c.endpoint } as Endpoint])[0] as Endpoint
    const all = await run(fake, endpoint)
    t.same(all.rows.map((r) => r.id), ROWS.map((r) => r.id), 'every row once, in order')
    let seen = 0
    for (const page of all.pages) {
      seen += page.rows.length
      if (page.state === null) continue
      const rest = await run(fake, endpoint, page.state)
      t.same(rest.rows.map((r) => r.id), ROWS.slice(seen).map((r) => r.id), `resume after ${seen}`)
    }
  })
}

t.test('a next URL off the base origin is refused by origin pinning', async (t) => {
  const fake = await startRestFake({ 'GET /items': () => ({ json: { data: ROWS.slice(0, SIZE), next: 'http://127.0.0.2:9/items?page=2' } }) })
  t.teardown(async () => { await fake.close() })
  const endpoint = defineEndpoints([{ name: 'items', primaryKeys: ['id'], path: '/items', dataSelector: 'data', paginator: { type: 'expression', cursorValue: '{{ response.next }}', inject: 'url' } } as Endpoint])[0] as Endpoint
  await t.rejects(run(fake, endpoint), /not allowed|allowed|origin|host/i)
  t.equal(fake.requests.length, 1)
})

t.test('a bad expression is a declaration error naming the endpoint and key', async (t) => {
  t.throws(() => defineEndpoints([{ name: 'items', primaryKeys: ['id'], path: '/items', paginator: { type: 'expression', cursorValue: '{{ response.next ', inject: 'query', param: 'c' } }]), /items\/paginator\/cursorValue/)
  t.throws(() => defineEndpoints([{ name: 'items', primaryKeys: ['id'], path: '/items', paginator: { type: 'expression', cursorValue: '{{ response.next }}', inject: 'query' } }]), /items\/paginator\/param: required/)
})

t.test('expressions that read only headers make the paginator headers-only (pipelined, text pages); any page read does not', async (t) => {
  const { expressionPaginator } = await import('../../src/engine/paginators/expression.js')
  const headersOnly = (cursorValue: string, stopCondition?: string): boolean =>
    expressionPaginator({ type: 'expression', cursorValue, inject: 'url', ...(stopCondition === undefined ? {} : { stopCondition }) }).headersOnly === true
  t.equal(headersOnly("{{ headers['link']['next']['url'] }}", "{{ 'next' not in headers['link'] }}"), true)
  t.equal(headersOnly("{{ headers['link']['next']['url'] }}", '{{ last_page_size < 3 }}'), false, 'a stop on the page size')
  t.equal(headersOnly('{{ response.next }}'), false, 'a cursor from the body')
  t.equal(headersOnly("{{ last_record['id'] }}"), false, 'a cursor from the last row')
  const fake: RestFake = await startRestFake({
    'GET /items': (req, f) => {
      const from = Number(req.query.get('page') ?? '0')
      return { json: ROWS.slice(from, from + SIZE), headers: from + SIZE < ROWS.length ? { link: `<${f.url}/items?page=${from + SIZE}>; rel="next"` } : {} as Record<string, string> }
    }
  })
  t.teardown(async () => { await fake.close() })
  const { rawRowsOf } = await import('../../src/engine/raw-rows.js')
  const client = services.createClient({ source: 'ExpressionTest', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const endpoint = defineEndpoints([{ name: 'items', primaryKeys: ['id'], path: '/items', paginator: { type: 'expression', cursorValue: "{{ headers['link']['next']['url'] }}", inject: 'url' } }])[0] as Endpoint
  const texts: boolean[] = []
  const ids: unknown[] = []
  for await (const page of client.pages(endpoint, { rowsAsText: true })) {
    texts.push(rawRowsOf(page) !== undefined)
    ids.push(...page.rows.map((r) => r.id))
  }
  t.same(texts, [true, true, true], 'every page stayed text until read')
  t.same(ids, ROWS.map((r) => r.id))
})
