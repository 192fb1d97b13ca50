/**
 * Time windows (`timeWindows`, Airbyte's DatetimeBasedCursor `step`): the range between the start and end
 * params read as consecutive windows, each paginated on its own, every row once, resumable from every page
 * with the range fixed in the state.
 */
import t from 'tap'
import type { Endpoint } from '../../src/engine/declarations.js'
import { defineEndpoints } from '../../src/engine/declarations.js'
import { windowAt, windowParams } from '../../src/engine/time-windows.js'
import type { ResumeState } from '../../src/engine/types.js'
import { UnsupportedRequestError } from '../../src/errors.js'
import { startRestFake, type FakeResponse, type RestFake } from '../fakes/rest-fake.js'
import { collect, testRun, testServices } from './helpers.js'

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
const T0 = Date.parse('2024-01-01T00:00:00Z')
/** 20 events, one every 12 hours from 2024-01-01T00:00:00Z. */
const EVENTS = Array.from({ length: 20 }, (_, i) => ({ id: `e${String(i + 1).padStart(2, '0')}`, at: iso(T0 + i * 12 * 3600_000) }))

/** `GET /events?from=&to=` (both inclusive, ISO), oldest first, 2 a page, `page` numbers with a Link header. */
async function eventsFake (): Promise<RestFake> {
  return await startRestFake({
    'GET /events': (req, f): FakeResponse => {
      const from = Date.parse(req.query.get('from') ?? '')
      const to = Date.parse(req.query.get('to') ?? '')
      if (Number.isNaN(from) || Number.isNaN(to)) return { status: 400, json: { message: 'from and to are required' } }
      const list = EVENTS.filter((e) => Date.parse(e.at) >= from && Date.parse(e.at) <= to)
      const page = Number(req.query.get('page') ?? '1')
      const rows = list.slice((page - 1) * 2, page * 2)
      const more = page * 2 < list.length
      const next = new URL(`${f.url}/events`)
      for (const [k, v] of req.query) next.searchParams.set(k, v)
      next.searchParams.set('page', String(page + 1))
      const headers: Record<string, string> = more ? { link: `<${next.href}>; rel="next"` } : {}
      return { headers, json: rows }
    }
  })
}

const endpoint = (end = '2024-01-10T12:00:00Z'): Endpoint => ({
  name: 'events',
  path: '/events',
  primaryKeys: ['id'],
  paginator: { type: 'link_header' },
  params: { from: '2024-01-01T00:00:00Z', to: end },
  incrementalFields: [{ field: 'at', label: 'at', type: 'datetime', param: 'from', converter: 'iso_no_millis' }],
  timeWindows: { startParam: 'from', endParam: 'to', stepSeconds: 3 * 86_400, granularitySeconds: 1, converter: 'iso_no_millis' }
})

t.test('windows: consecutive, one granule apart, the last one cut at the end', async (t) => {
  const decl = endpoint().timeWindows!
  const range = { s: T0, e: Date.parse('2024-01-10T12:00:00Z') }
  t.same([0, 1, 2, 3].map((i) => windowParams(decl, range, i)), [
    { from: '2024-01-01T00:00:00Z', to: '2024-01-03T23:59:59Z' },
    { from: '2024-01-04T00:00:00Z', to: '2024-01-06T23:59:59Z' },
    { from: '2024-01-07T00:00:00Z', to: '2024-01-09T23:59:59Z' },
    { from: '2024-01-10T00:00:00Z', to: '2024-01-10T12:00:00Z' }
  ])
  t.equal(windowAt(decl, range, 4), undefined)
  t.same(windowParams({ ...decl, granularitySeconds: 0 }, { s: T0, e: T0 }, 0), { from: '2024-01-01T00:00:00Z', to: '2024-01-01T00:00:00Z' }, 'an empty range is one window')
  t.same(windowParams({ ...decl, converter: { format: '%s' } }, range, 1), { from: Date.parse('2024-01-04T00:00:00Z') / 1000, to: Date.parse('2024-01-06T23:59:59Z') / 1000 })
})

t.test('a windowed run reads every row once, in order, each window paginated on its own', async (t) => {
  const fake = await eventsFake()
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'W', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const { pages, rows } = await collect(client.pages(endpoint()))
  t.same(rows.map((r) => r.id), EVENTS.map((e) => e.id))
  const windows = [...new Set(fake.requests.map((r) => `${r.query.get('from')}..${r.query.get('to')}`))]
  t.same(windows, ['2024-01-01T00:00:00Z..2024-01-03T23:59:59Z', '2024-01-04T00:00:00Z..2024-01-06T23:59:59Z',
    '2024-01-07T00:00:00Z..2024-01-09T23:59:59Z', '2024-01-10T00:00:00Z..2024-01-10T12:00:00Z'])
  t.equal(fake.requests.length, 3 + 3 + 3 + 1, 'six events in each of the first three windows, two a page; two in the last')
  t.equal(pages.at(-1)?.state, null, 'only the last page of the last window ends the run')
  t.ok(pages.slice(0, -1).every((p) => p.state !== null))
})

t.test('resuming from every page gives exactly the remaining rows, on the windows of the first run', async (t) => {
  const fake = await eventsFake()
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'W', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const { pages } = await collect(client.pages(endpoint()))
  let seen = 0
  for (const page of pages) {
    seen += page.rows.length
    if (page.state === null) continue
    // A later "now": the range still comes from the state, so the windows are the same.
    const rest = await collect(client.pages(endpoint('2024-03-01T00:00:00Z'), { resumeState: page.state }))
    t.same(rest.rows.map((r) => r.id), EVENTS.slice(seen).map((e) => e.id), `resume after ${seen} rows`)
  }
  const tampered: ResumeState = { ...(pages[0]?.state as ResumeState), slices: { i: -1, s: T0, e: T0 } }
  await t.rejects(collect(client.pages(endpoint(), { resumeState: tampered })), UnsupportedRequestError)
  await t.rejects(collect(client.pages(endpoint(), { resumeState: { v: 2, slices: { i: 0, s: 'x', e: T0 } } })), UnsupportedRequestError)
})

t.test('the watermark starts the windows', async (t) => {
  const fake = await eventsFake()
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'W', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const { rows } = await collect(client.pages(endpoint(), { incremental: { field: 'at', lastValue: '2024-01-08T12:00:00Z' } }))
  t.same(rows.map((r) => r.id), EVENTS.filter((e) => e.at >= '2024-01-08T12:00:00Z').map((e) => e.id))
  t.same(fake.requests.map((r) => `${r.query.get('from') ?? ''}..${r.query.get('to') ?? ''}`), Array(3).fill('2024-01-08T12:00:00Z..2024-01-10T12:00:00Z'), 'one window from the watermark to the end: five events, 3 pages')
})

t.test('declarations: bad windows are refused with the field named', async (t) => {
  const bad = (timeWindows: Endpoint['timeWindows']): string => {
    try { defineEndpoints([{ ...endpoint(), timeWindows }]); return '' } catch (error) { return (error as Error).message }
  }
  t.match(bad({ startParam: 'from', endParam: 'from', stepSeconds: 60 }), 'events/timeWindows: startParam and endParam must differ')
  t.match(bad({ startParam: 'from', endParam: 'to', stepSeconds: 60, granularitySeconds: 60 }), 'events/timeWindows/granularitySeconds')
  t.match(bad({ startParam: 'from', endParam: 'to', stepSeconds: 60, converter: { template: 'x{value}' } }), 'events/timeWindows/converter')
  t.match(bad({ startParam: 'from', endParam: 'to', stepSeconds: 0 }), 'events/timeWindows/stepSeconds')
  t.equal(bad({ startParam: 'from', endParam: 'to', stepSeconds: 60 }), '')
})
