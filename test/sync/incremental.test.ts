import t from 'tap'
import { customer, order } from '../../src/sources/demo/dataset.js'
import { contractProblems, demoConfig, records, startHarness, sync, terminal } from './helpers.js'

const h = await startHarness()
t.teardown(h.close)

t.test('customers: a second incremental run returns only rows updated after the stored watermark', async (t) => {
  const first = await sync(h, 'demo', { config: demoConfig(h, { rows: 20, page_size: 6 }), schema: 'customers', sync_type: 'incremental' })
  t.same(contractProblems(first.lines), [])
  t.equal(first.lines[0]?.type === 'schema' && first.lines[0].incremental_field, 'updated_at', 'the only incremental field is chosen')
  t.equal(records(first.lines).length, 20)
  t.same(terminal(first.lines), { type: 'end', rows: 20, last_value: customer(20).updated_at, earliest_value: customer(1).updated_at })

  const end = terminal(first.lines)
  const lastValue = end?.type === 'end' ? end.last_value : null
  // The dataset grew: ten new customers, all updated after the first run's watermark.
  const second = await sync(h, 'demo', {
    config: demoConfig(h, { rows: 30, page_size: 6 }),
    schema: 'customers',
    sync_type: 'incremental',
    incremental_field: 'updated_at',
    last_value: lastValue
  })
  t.same(contractProblems(second.lines), [])
  t.same(records(second.lines), Array.from({ length: 10 }, (_, i) => customer(21 + i)))
  t.same(terminal(second.lines), { type: 'end', rows: 10, last_value: customer(30).updated_at, earliest_value: customer(21).updated_at })
  const request = h.upstream.requests.at(-1)
  t.equal(request?.query.updated_since, customer(20).updated_at, 'the watermark went upstream as updated_since')

  const third = await sync(h, 'demo', {
    config: demoConfig(h, { rows: 30 }), schema: 'customers', sync_type: 'incremental', last_value: customer(30).updated_at
  })
  t.same(third.lines.map((l) => l.type), ['schema', 'end'], 'nothing newer: no rows')
  t.same(terminal(third.lines), { type: 'end', rows: 0, last_value: null, earliest_value: null })
})

t.test('orders: incremental from a mid-table watermark, append sync too', async (t) => {
  const watermark = order(9, 3).updated_at
  for (const syncType of ['incremental', 'append']) {
    const result = await sync(h, 'demo', {
      config: demoConfig(h, { rows: 6, orders_per_customer: 3, page_size: 4 }),
      schema: 'orders',
      sync_type: syncType,
      last_value: watermark
    })
    t.same(contractProblems(result.lines), [])
    t.same(records(result.lines).map((r) => r.id), [10, 11, 12, 13, 14, 15, 16, 17, 18], syncType)
    t.same(terminal(result.lines), { type: 'end', rows: 9, last_value: order(18, 3).updated_at, earliest_value: order(10, 3).updated_at })
  }
})

t.test('incremental requests the table cannot honour are refused before streaming', async (t) => {
  const notes = await sync(h, 'demo', { config: demoConfig(h), schema: 'customer_notes', sync_type: 'incremental' })
  t.equal(notes.status, 400)
  t.match(notes.body, { code: 'UNSUPPORTED_REQUEST', errors: [{ path: '/sync_type' }] })
  const field = await sync(h, 'demo', { config: demoConfig(h), schema: 'customers', sync_type: 'incremental', incremental_field: 'email' })
  t.equal(field.status, 400)
  t.match(field.body, { code: 'UNSUPPORTED_REQUEST', errors: [{ path: '/incremental_field', message: /"updated_at"/ }] })
  const watermark = await sync(h, 'demo', { config: demoConfig(h), schema: 'orders', sync_type: 'incremental', last_value: 'last tuesday', earliest_value: '2024-01-01' })
  t.equal(watermark.status, 400)
  t.match(watermark.body, { code: 'VALIDATION_FAILED', errors: [{ path: '/last_value', message: /datetime/ }] })
  t.equal((watermark.body as { errors: unknown[] }).errors.length, 1, 'a readable earliest_value is fine')
  t.equal(h.upstream.requests.filter((r) => r.route === 'notes').length, 0, 'nothing was fetched')
})
