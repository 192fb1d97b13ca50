/**
 * The two-phase walk of descending endpoints with both watermarks: rows older than the earliest value,
 * then rows newer than the last value, each read once, resumable from every page of either phase.
 */
import t from 'tap'
import type { Endpoint } from '../../src/engine/declarations.js'
import type { Page, ResumeState } from '../../src/engine/types.js'
import { UnsupportedRequestError } from '../../src/errors.js'
import { startRestFake, type RestFake } from '../fakes/rest-fake.js'
import { collect, testRun, testServices } from './helpers.js'

/** 30 rows, created 1000, 1010, … 1290 (epoch seconds); listed newest first, `limit` per page, `after` cursor. */
const ROWS = Array.from({ length: 30 }, (_, i) => ({ id: `r${String(i + 1).padStart(2, '0')}`, created: 1000 + i * 10 }))

async function descFake (): Promise<RestFake> {
  return await startRestFake({
    'GET /items': (req) => {
      const gt = req.query.get('created_gt')
      const lt = req.query.get('created_lt')
      let list = [...ROWS].reverse()
        .filter((r) => gt === null || r.created > Number(gt))
        .filter((r) => lt === null || r.created < Number(lt))
      const after = req.query.get('after')
      if (after !== null) list = list.slice(list.findIndex((r) => r.id === after) + 1)
      const limit = Number(req.query.get('limit'))
      return { json: { data: list.slice(0, limit), has_more: list.length > limit } }
    }
  })
}

const endpoint: Endpoint = {
  name: 'items',
  path: '/items',
  primaryKeys: ['id'],
  dataSelector: 'data',
  sortMode: 'desc',
  pageSize: { param: 'limit', value: 4 },
  paginator: { type: 'last_record_cursor', recordField: 'id', param: 'after', hasMorePath: 'has_more' },
  incrementalFields: [{ field: 'created', type: 'datetime', param: 'created_gt', earliestParam: 'created_lt', converter: 'epoch_seconds' }]
}

// As if a first sync had read r26 … r19 (created 1250 … 1180) and was interrupted, and r27 … r30 were created since:
// the next run reads r18 … r01 (older than 1180), then r30 … r27 (newer than 1250), and none of r26 … r19 again.
const WATERMARKS = { field: 'created', lastValue: 1250, earliestValue: 1180 }

t.test('older rows first (created_lt), then newer rows (created_gt), never both params at once', async (t) => {
  const fake = await descFake()
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'W', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const { rows, pages } = await collect(client.pages(endpoint, { incremental: WATERMARKS }))
  const ids = rows.map((r) => r.id)
  const newestFirst = [...ROWS].reverse()
  t.same(ids, [...newestFirst.filter((r) => r.created < 1180), ...newestFirst.filter((r) => r.created > 1250)].map((r) => r.id),
    'older phase newest first, then newer phase newest first')
  t.equal(new Set(ids).size, ids.length, 'no row twice')
  t.notOk(fake.requests.some((r) => r.query.has('created_gt') && r.query.has('created_lt')), 'never both bounds in one request')
  t.same(fake.requests.map((r) => r.query.has('created_lt') ? 'older' : 'newer'), ['older', 'older', 'older', 'older', 'older', 'newer'],
    '18 older rows in 5 pages of 4, then 4 newer rows in one')
  t.equal(pages.at(-1)?.state, null, 'the walk ends')
  const boundary = pages.find((p) => (p.state?.walk as { phase?: string } | undefined)?.phase === 'newer' && p.state?.request === undefined)
  t.ok(boundary, 'the last older page hands over to the newer phase')
})

t.test('resume from every state of both phases reads exactly the rest', async (t) => {
  const fake = await descFake()
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'W', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const full = await collect(client.pages(endpoint, { incremental: WATERMARKS }))
  const all = full.rows.map((r) => r.id)
  let before = 0
  for (const page of full.pages.slice(0, -1)) {
    before += page.rows.length
    const state = page.state as ResumeState
    // Resumed with other watermarks: the state, not the request, says where the newer phase starts.
    const rest = await collect(client.pages(endpoint, { incremental: { field: 'created', lastValue: 1, earliestValue: 2 }, resumeState: state }))
    t.same(rest.rows.map((r) => r.id), all.slice(before), `resumed after ${before} rows`)
  }
})

t.test('single walks stay as they were', async (t) => {
  const fake = await descFake()
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'W', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const onlyLast = await collect(client.pages(endpoint, { incremental: { field: 'created', lastValue: 1250 } }))
  t.same(onlyLast.rows.map((r) => r.id), ['r30', 'r29', 'r28', 'r27'], 'only last_value: newer rows')
  t.notOk(onlyLast.pages.some((p: Page) => p.state?.walk !== undefined), 'plain states')
  const none = await collect(client.pages(endpoint, { incremental: { field: 'created' } }))
  t.equal(none.rows.length, 30, 'no watermarks: everything once')
  fake.requests.length = 0
  await collect(client.pages({ ...endpoint, sortMode: 'asc' }, { incremental: WATERMARKS }))
  t.ok(fake.requests[0]?.query.has('created_gt') && fake.requests[0]?.query.has('created_lt'), 'ascending endpoints bind both params at once')
})

t.test('a damaged walk state is refused', async (t) => {
  const fake = await descFake()
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'W', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  for (const walk of [{ phase: 'sideways', newer: {} }, { phase: 'newer', newer: { created_gt: { nested: 1 } } }, null]) {
    await t.rejects(collect(client.pages(endpoint, { resumeState: { v: 1, walk } })), UnsupportedRequestError)
  }
})
