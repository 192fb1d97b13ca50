/**
 * Progress totals: each paginator states only the totals its declaration says where to read (pure
 * steps, table-driven), the page loop carries the latest one on every page (capped by a page cap, exact
 * once the resource ended), and a fan-out sums its parents' totals only once every parent is known.
 */
import t from 'tap'
import { defineEndpoints, type Endpoint, type PaginatorDecl } from '../../src/engine/declarations.js'
import { createPaginator } from '../../src/engine/paginators/index.js'
import type { HttpResult, RequestSpec, Row } from '../../src/engine/types.js'
import { makeRows, startRestFake } from '../fakes/rest-fake.js'
import { collect, testRun, testServices } from './helpers.js'

const request: RequestSpec = { method: 'GET', url: 'https://api.example.test/items', params: { page: 2 } }
const response = (body: unknown, headers: Record<string, string> = {}): HttpResult => ({ status: 200, headers, body, url: request.url })
const rows: Row[] = [{ id: 1 }]

interface TotalsCase { name: string, decl: PaginatorDecl, result: HttpResult, want: { pages?: number, rows?: number } }

const cases: TotalsCase[] = [
  {
    name: 'link_header: the rel="last" link\'s page (GitHub)',
    decl: { type: 'link_header', lastPageParam: 'page' },
    result: response([], { link: '<https://api.example.test/repositories/1/issues?per_page=100&page=3>; rel="next", <https://api.example.test/repositories/1/issues?per_page=100&page=7>; rel="last"' }),
    want: { pages: 7 }
  },
  {
    name: 'link_header: no last link (the last page, or GitHub could not compute it) states nothing',
    decl: { type: 'link_header', lastPageParam: 'page' },
    result: response([], { link: '<https://api.example.test/items?page=1>; rel="prev", <https://api.example.test/items?page=1>; rel="first"' }),
    want: {}
  },
  {
    name: 'link_header: without lastPageParam nothing is read',
    decl: { type: 'link_header' },
    result: response([], { link: '<https://api.example.test/items?page=7>; rel="last"' }),
    want: {}
  },
  {
    name: 'link_header: a last link without a page number states nothing',
    decl: { type: 'link_header', lastPageParam: 'page' },
    result: response([], { link: '<https://api.example.test/items?cursor=abc>; rel="last"' }),
    want: {}
  },
  {
    name: 'page_number: page_count and total_items (Typeform)',
    decl: { type: 'page_number', pageParam: 'page', totalPagesPath: 'page_count', totalRowsPath: 'total_items' },
    result: response({ total_items: 45, page_count: 5, items: [] }),
    want: { pages: 5, rows: 45 }
  },
  {
    name: 'page_number: maxPage caps the page count',
    decl: { type: 'page_number', pageParam: 'page', totalPagesPath: 'page_count', maxPage: 3 },
    result: response({ page_count: 5 }),
    want: { pages: 3 }
  },
  {
    name: 'page_number: a count that is not a whole number is no count',
    decl: { type: 'page_number', pageParam: 'page', totalPagesPath: 'page_count', totalRowsPath: 'total_items' },
    result: response({ page_count: 'many', total_items: -1 }),
    want: {}
  },
  {
    name: 'offset: the total in the body gives rows and pages',
    decl: { type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: 20, totalPath: 'meta.total' },
    result: response({ meta: { total: 45 } }),
    want: { rows: 45, pages: 3 }
  },
  {
    name: 'offset: a total header (X-Total-Count), bounded by maxOffset',
    decl: { type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: 10, totalHeader: 'X-Total-Count', maxOffset: 49 },
    result: response([], { 'x-total-count': '1000' }),
    want: { rows: 1000, pages: 5 }
  },
  {
    name: 'offset: no declared total, nothing stated',
    decl: { type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: 10 },
    result: response({ total: 99 }),
    want: {}
  },
  {
    name: 'cursor: totalRowsPath',
    decl: { type: 'cursor', cursorPath: 'next', param: 'cursor', totalRowsPath: 'total' },
    result: response({ total: '120', next: 'x' }),
    want: { rows: 120 }
  },
  {
    name: 'last_record_cursor: Stripe total_count when asked for',
    decl: { type: 'last_record_cursor', recordField: 'id', param: 'starting_after', hasMorePath: 'has_more', totalRowsPath: 'total_count' },
    result: response({ total_count: 3000, has_more: true, data: [] }),
    want: { rows: 3000 }
  },
  {
    name: 'next_url without a declared total states nothing',
    decl: { type: 'next_url', path: 'links.next' },
    result: response({ links: { next: null }, meta: { total: 5 } }),
    want: {}
  },
  {
    name: 'single_page: one page',
    decl: { type: 'single_page' },
    result: response([]),
    want: { pages: 1 }
  }
]

t.test('paginator totals', async (t) => {
  for (const c of cases) {
    const stated = createPaginator(c.decl).totals?.({ request, response: c.result, rows }) ?? {}
    const defined = Object.fromEntries(Object.entries(stated).filter(([, v]) => v !== undefined))
    t.same(defined, c.want, c.name)
  }
})

t.test('declarations: totals sources are checked at load', async (t) => {
  const base = { name: 'x', path: '/x', primaryKeys: ['id'] }
  t.doesNotThrow(() => defineEndpoints([{ ...base, paginator: { type: 'page_number', pageParam: 'page', totalRowsPath: 'total_items' } }]))
  t.throws(() => defineEndpoints([{ ...base, paginator: { type: 'link_header', lastPageParam: 3 } } as unknown as Endpoint]), /lastPageParam/)
})

t.test('the page loop: latest total on every page, capped by the page cap, exact at the end', async (t) => {
  const items = makeRows(23)
  const fake = await startRestFake({
    'GET /forms': (req) => {
      const page = Number(req.query.get('page'))
      const size = Number(req.query.get('page_size'))
      return { json: { total_items: items.length, page_count: Math.ceil(items.length / size), items: items.slice((page - 1) * size, page * size) } }
    }
  })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const endpoint: Endpoint = {
    name: 'forms',
    path: '/forms',
    dataSelector: 'items',
    paginator: { type: 'page_number', pageParam: 'page', totalPagesPath: 'page_count', totalRowsPath: 'total_items' },
    pageSize: { param: 'page_size', value: 5 },
    primaryKeys: ['id']
  }
  const client = services.createClient({ source: 'Forms', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const all = await collect(client.pages(endpoint))
  t.same(all.pages.map((p) => p.progress), [1, 2, 3, 4, 5].map((pages) => ({ pages, totalPages: 5, totalRows: 23 })))

  const capped = await collect(client.pages({ ...endpoint, pageCap: 2 }))
  t.same(capped.pages.map((p) => p.progress?.totalPages), [2, 2], 'a page cap bounds the total')

  const resumed = await collect(client.pages(endpoint, { resumeState: all.pages[1]?.state ?? null }))
  t.same(resumed.pages.map((p) => p.progress?.pages), [3, 4, 5], 'a resumed endpoint counts the pages before its resume point')
})

t.test('fan-out: the sum of every parent\'s totals, once each is known; none after a resume', async (t) => {
  const sizes: Record<string, number> = { a: 12, b: 3, c: 7 }
  const fake = await startRestFake({
    'GET /parents/:p/items': (req) => {
      const all = makeRows(sizes[req.params.p ?? ''] ?? 0)
      const page = Number(req.query.get('page'))
      return { json: { page_count: Math.max(1, Math.ceil(all.length / 5)), items: all.slice((page - 1) * 5, page * 5) } }
    }
  })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const [endpoint] = defineEndpoints([{
    name: 'items',
    path: '/parents/{p}/items',
    dataSelector: 'items',
    paginator: { type: 'page_number', pageParam: 'page', totalPagesPath: 'page_count' },
    pageSize: { param: 'page_size', value: 5 },
    primaryKeys: ['id'],
    fanOut: { parent: 'letters', resolveParam: 'p', resolveField: 'p', concurrency: 2 }
  }])
  const parents = { letters: [{ p: 'a' }, { p: 'b' }, { p: 'c' }] }
  const client = services.createClient({ source: 'Fan', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const out = await collect(client.pages(endpoint!, { parents }))
  const data = out.pages.filter((p) => p.state !== null)
  t.same(data.map((p) => p.progress?.pages), [1, 2, 3, 4, 5, 6], 'child pages counted across parents (3 + 1 + 2)')
  const totals = data.map((p) => p.progress?.totalPages)
  // Parent c is opened only when a is done (concurrency 2): until its first page is read, no total.
  t.ok(totals.every((v) => v === undefined || v === 6), `totals are right or absent: ${JSON.stringify(totals)}`)
  t.equal(totals.at(-1), 6, 'known once every parent has been read')
  t.equal(totals[0], undefined, 'not known while parent c is unopened')

  const resumed = await collect(client.pages(endpoint!, { parents, resumeState: data[1]?.state ?? null }))
  t.ok(resumed.pages.every((p) => p.progress?.totalPages === undefined), 'a resumed fan-out states no totals')
})
