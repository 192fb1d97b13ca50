/** Watermark converters, params in requests, watermark tracking, and the descending stop. */
import t from 'tap'
import { defineEndpoints, type Endpoint, type IncrementalFieldDecl } from '../../src/engine/declarations.js'
import { convertWatermark, createWatermarkTracker, incrementalParams } from '../../src/engine/incremental.js'
import { UnsupportedRequestError } from '../../src/errors.js'
import { startRestFake } from '../fakes/rest-fake.js'
import { collect, testRun, testServices } from './helpers.js'

const NOW = Date.UTC(2024, 5, 1, 12, 0, 0)
const dt = (over: Partial<IncrementalFieldDecl> = {}): IncrementalFieldDecl => ({ field: 'updated_at', type: 'datetime', param: 'since', ...over })

t.test('converters', async (t) => {
  const v = '2024-03-04T05:06:07.890Z'
  t.equal(convertWatermark(v, dt(), NOW), '2024-03-04T05:06:07.890Z')
  t.equal(convertWatermark(v, dt({ converter: 'iso_no_millis' }), NOW), '2024-03-04T05:06:07Z')
  t.equal(convertWatermark(v, dt({ converter: 'date' }), NOW), '2024-03-04')
  t.equal(convertWatermark(v, dt({ converter: 'epoch_seconds' }), NOW), 1709528767)
  t.equal(convertWatermark(v, dt({ converter: 'epoch_millis' }), NOW), 1709528767890)
  t.equal(convertWatermark('2024-03-04T07:06:07+02:00', dt({ converter: { template: 'greater-than(updated,{value})' } }), NOW), 'greater-than(updated,2024-03-04T05:06:07Z)')
  t.equal(convertWatermark(1709528767, dt({ converter: 'iso_no_millis' }), NOW), '2024-03-04T05:06:07Z', 'epoch seconds in')
  t.equal(convertWatermark(42, { field: 'id', type: 'integer', param: 'since_id' }, NOW), 42)
  t.equal(convertWatermark('2099-01-01T00:00:00Z', dt({ converter: 'iso_no_millis' }), NOW), '2024-06-01T12:00:00Z', 'capped at now')
  t.equal(convertWatermark('2099-01-01T00:00:00Z', dt({ converter: 'iso_no_millis', capAtNow: false }), NOW), '2099-01-01T00:00:00Z')
  t.throws(() => convertWatermark('yesterday', dt(), NOW), TypeError)
  t.same(incrementalParams(dt({ earliestParam: 'until', converter: 'date' }), '2024-02-01T00:00:00Z', '2024-01-01T00:00:00Z', NOW), { since: '2024-02-01', until: '2024-01-01' })
  t.same(incrementalParams(dt(), null, undefined, NOW), {}, 'no watermark, no param')
})

t.test('a window closed at now: endAtNowParam follows the start, even a start capped at now', async (t) => {
  const windowed = dt({ param: 'start', endAtNowParam: 'end', converter: 'iso_no_millis' })
  t.same(incrementalParams(windowed, '2024-05-01T08:00:00.123Z', undefined, NOW), { start: '2024-05-01T08:00:00Z', end: '2024-06-01T12:00:00Z' })
  t.same(incrementalParams(windowed, '2099-01-01T00:00:00Z', undefined, NOW), { start: '2024-06-01T12:00:00Z', end: '2024-06-01T12:00:01Z' },
    'a future watermark is capped at now and the end is a second later, never equal')
  t.same(incrementalParams({ ...windowed, capAtNow: false }, '2099-01-01T00:00:00Z', undefined, NOW), { start: '2099-01-01T00:00:00Z', end: '2099-01-01T00:00:01Z' })
  t.same(incrementalParams(windowed, null, undefined, NOW), {}, 'no watermark: neither end is sent (a first run reads the default window)')
  t.same(incrementalParams(dt({ param: 'since', endAtNowParam: 'until', converter: 'epoch_seconds' }), 1717000000, undefined, NOW), { since: 1717000000, until: NOW / 1000 })
  const bad = (field: IncrementalFieldDecl): Endpoint => ({ name: 'x', path: '/x', paginator: { type: 'single_page' }, primaryKeys: ['id'], incrementalFields: [field] })
  t.throws(() => defineEndpoints([bad({ field: 'id', type: 'integer', param: 'since_id', endAtNowParam: 'until' })]), /endAtNowParam needs a param and a datetime/)
  t.throws(() => defineEndpoints([bad({ field: 'updated_at', type: 'datetime', endAtNowParam: 'until' })]), /endAtNowParam needs a param/)
})

t.test('tracker compares datetimes as instants and numbers numerically', async (t) => {
  const tracker = createWatermarkTracker(dt())
  for (const updated of ['2024-01-01T00:30:00Z', '2024-01-01T01:00:00+02:00', '2024-01-02T00:00:00.000Z', null, 'garbage']) tracker.observe({ updated_at: updated })
  t.equal(tracker.lastValue, '2024-01-02T00:00:00.000Z')
  t.equal(tracker.earliestValue, '2024-01-01T01:00:00+02:00', '23:00 the day before is the earliest')
  const ids = createWatermarkTracker({ field: 'meta.seq', type: 'integer' })
  for (const seq of [9, 10, 100, 2]) ids.observe({ meta: { seq } })
  t.equal(ids.lastValue, 100)
  t.equal(ids.earliestValue, 2)
  t.equal(createWatermarkTracker(dt()).lastValue, undefined)
})

t.test('watermark params are sent; unknown incremental fields are refused', async (t) => {
  const fake = await startRestFake({ 'GET /events': () => ({ json: { data: [] } }) })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'K', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const endpoint: Endpoint = {
    name: 'events', primaryKeys: ['id'], path: '/events', dataSelector: 'data', paginator: { type: 'single_page' },
    incrementalFields: [{ field: 'datetime', type: 'datetime', param: 'filter', converter: { template: 'greater-than(datetime,{value})' } }]
  }
  await collect(client.pages(endpoint, { incremental: { field: 'datetime', lastValue: '2024-01-01T00:00:00.000Z' } }))
  t.equal(fake.requests[0]?.query.get('filter'), 'greater-than(datetime,2024-01-01T00:00:00Z)')
  await t.rejects(collect(client.pages(endpoint, { incremental: { field: 'nope' } })), UnsupportedRequestError)
})

t.test('descending endpoints stop once a whole page is older than the watermark', async (t) => {
  const rows = Array.from({ length: 12 }, (_, i) => ({ id: 12 - i, created: new Date(Date.UTC(2024, 0, 12 - i)).toISOString() }))
  const fake = await startRestFake({ 'GET /desc': (req) => { const p = Number(req.query.get('page')); return { json: rows.slice((p - 1) * 3, p * 3) } } })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'D', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const endpoint: Endpoint = {
    name: 'desc', primaryKeys: ['id'], path: '/desc', sortMode: 'desc', paginator: { type: 'page_number', pageParam: 'page' },
    incrementalFields: [{ field: 'created', type: 'datetime' }]
  }
  const { rows: got } = await collect(client.pages(endpoint, { incremental: { field: 'created', lastValue: '2024-01-07T12:00:00Z' } }))
  t.same(got.map((r) => r.id), [12, 11, 10, 9, 8, 7], 'pages with newer rows kept (the straddling page whole)')
  t.equal(fake.requests.length, 3, 'page 3 is all older: no page 4')
})

t.test('a descending walk that stops at the watermark reads known pages one at a time: no run fetched past the stop', async (t) => {
  const rows = Array.from({ length: 24 }, (_, i) => ({ id: 24 - i, created: new Date(Date.UTC(2024, 0, 24 - i)).toISOString() }))
  const fake = await startRestFake({
    'GET /pulls': async (req, f) => {
      const page = Number(req.query.get('page') ?? '1')
      // Pages 2 and 3 answer late: any page fetched ahead of them has reached the fake by then.
      if (page === 2 || page === 3) await new Promise((resolve) => setTimeout(resolve, 40))
      const at = (n: number, rel: string): string => `<${f.url}/pulls?page=${n}>; rel="${rel}"`
      const headers: Record<string, string> = page < 8 ? { link: `${at(page + 1, 'next')}, ${at(8, 'last')}` } : {}
      return { headers, json: rows.slice((page - 1) * 3, page * 3) }
    }
  })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'G', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const endpoint: Endpoint = {
    name: 'pulls', primaryKeys: ['id'], path: '/pulls', sortMode: 'desc', paginator: { type: 'link_header', lastPageParam: 'page', knownPages: true },
    incrementalFields: [{ field: 'created', type: 'datetime' }]
  }
  const { rows: got } = await collect(client.pages(endpoint, { incremental: { field: 'created', lastValue: '2024-01-19T12:00:00Z' } }))
  t.same(got.map((r) => r.id), [24, 23, 22, 21, 20, 19], 'pages with newer rows kept')
  t.ok(fake.requests.length <= 4, `page 3 is all older: at most the one pipelined request after it (${fake.requests.length})`)
  const first = await collect(client.pages(endpoint))
  t.equal(first.rows.length, 24, 'without a watermark the run is read whole')
})
