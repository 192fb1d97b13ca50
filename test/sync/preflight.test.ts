/** Everything checkable is checked before the first byte: 4xx problem documents naming the field. */
import t from 'tap'
import { demoConfig, startHarness, sync } from './helpers.js'

const h = await startHarness()
t.teardown(h.close)

const PROBLEM = /^application\/problem\+json/

t.test('unknown source and unknown table are 404 problems', async (t) => {
  const source = await sync(h, 'nope', { config: {}, schema: 'customers' })
  t.equal(source.status, 404)
  t.match(source.contentType, PROBLEM)
  t.match(source.body, { code: 'SOURCE_NOT_FOUND' })
  const table = await sync(h, 'demo', { config: demoConfig(h), schema: 'invoices' })
  t.equal(table.status, 404)
  t.match(table.body, { code: 'SCHEMA_NOT_FOUND', detail: /invoices/ })
})

t.test('an invalid config is a 400 naming every bad field', async (t) => {
  const result = await sync(h, 'demo', { config: { rows: 'many', page_size: 5000, latency_ms: -1, base_url: 'ftp://x' }, schema: 'customers' })
  t.equal(result.status, 400)
  t.match(result.contentType, PROBLEM)
  const paths = ((result.body as { errors?: Array<{ path: string }> }).errors ?? []).map((e) => e.path)
  t.ok(paths.includes('/config/rows'), paths.join(','))
  const ranges = await sync(h, 'demo', { config: { rows: 2_000_000, page_size: 5000, latency_ms: -1 }, schema: 'customers' })
  t.equal(ranges.status, 400)
  t.same(((ranges.body as { errors?: Array<{ path: string }> }).errors ?? []).map((e) => e.path).sort(),
    ['/config/latency_ms', '/config/page_size', '/config/rows'])
})

t.test('a malformed body is a 400 naming the field', async (t) => {
  const noSchema = await sync(h, 'demo', { config: {} } as never)
  t.equal(noSchema.status, 400)
  t.match(noSchema.body, { errors: [{ path: '/schema' }] })
  const badType = await sync(h, 'demo', { config: {}, schema: 'customers', sync_type: 'sometimes' })
  t.equal(badType.status, 400)
  t.match(badType.body, { errors: [{ path: /^\/sync_type/ }] })
})

t.test('no upstream request is made for a refused sync', async (t) => {
  const before = h.upstream.requests.length
  await sync(h, 'demo', { config: demoConfig(h), schema: 'customers', sync_type: 'incremental', incremental_field: 'name' })
  await sync(h, 'demo', { config: demoConfig(h), schema: 'customers', resume_state: 'x.y' })
  t.equal(h.upstream.requests.length, before)
})
