import t from 'tap'
import { customer, note, notesCount, order } from '../../src/sources/demo/dataset.js'
import { contractProblems, demoConfig, records, startHarness, states, sync, terminal } from './helpers.js'

const h = await startHarness()
t.teardown(h.close)

t.test('customers: full refresh streams every row once, schema first, state after each page, one end line', async (t) => {
  const result = await sync(h, 'demo', { config: demoConfig(h, { rows: 10, page_size: 3 }), schema: 'customers' })
  t.equal(result.status, 200)
  t.match(result.contentType, /^application\/x-ndjson/)
  t.same(contractProblems(result.lines), [])
  t.same(result.lines[0], {
    type: 'schema',
    name: 'customers',
    primary_keys: ['id'],
    partition_mode: 'datetime',
    partition_keys: ['created_at'],
    partition_format: 'month',
    partition_count: null,
    partition_size: null,
    sort_mode: 'asc',
    table_format: 'delta',
    sync_type: 'full_refresh',
    incremental_field: null
  })
  t.same(records(result.lines), Array.from({ length: 10 }, (_, i) => customer(i + 1)))
  // Pages of 3: states after rows 3, 6, 9 (the last page of 1 row exhausts the table: no state to resume).
  t.same(states(result.lines).map((s) => s.rows), [3, 6, 9])
  t.same(terminal(result.lines), { type: 'end', rows: 10, last_value: null, earliest_value: null })
})

t.test('orders: body cursor pagination delivers every order', async (t) => {
  const result = await sync(h, 'Demo', { config: demoConfig(h, { rows: 7, orders_per_customer: 2, page_size: 4 }), schema: 'orders' })
  t.same(contractProblems(result.lines), [])
  t.same(records(result.lines), Array.from({ length: 14 }, (_, i) => order(i + 1, 2)))
  t.equal(h.upstream.requests.filter((r) => r.route === 'orders').length >= 4, true)
})

t.test('customer_notes: fan-out over customers, parent fields renamed, notes of one customer together', async (t) => {
  const rows = 9
  const result = await sync(h, 'demo', { config: demoConfig(h, { rows, page_size: 2 }), schema: 'customer_notes' })
  t.same(contractProblems(result.lines), [])
  const expected = []
  for (let id = 1; id <= rows; id++) {
    for (let k = 1; k <= notesCount(id); k++) {
      expected.push({ ...note(id, k), customer_id: id, customer_email: customer(id).email })
    }
  }
  t.same(records(result.lines), expected)
})

t.test('an empty dataset is a schema line and an end line', async (t) => {
  const result = await sync(h, 'demo', { config: demoConfig(h, { rows: 0 }), schema: 'customers' })
  t.same(contractProblems(result.lines), [])
  t.same(result.lines.map((l) => l.type), ['schema', 'end'])
})

t.test('page caps are logged with the resource and parent, never silent', async (t) => {
  // Customer 4 has 4 notes; with page size 1 the notes cap (3 pages per customer) cuts it at 3.
  const result = await sync(h, 'demo', { config: demoConfig(h, { rows: 5, page_size: 1 }), schema: 'customer_notes' })
  t.same(contractProblems(result.lines), [])
  const caps = result.lines.filter((l) => l.type === 'log' && l.event === 'page_cap_reached')
  t.equal(caps.length, 1)
  t.match(caps[0], { level: 'warn', resource: 'customer_notes', parent: 'customers:4' })
  t.same(records(result.lines).filter((r) => r.customer_id === 4).map((r) => r.id), [41, 42, 43])
  const capIndex = result.lines.findIndex((l) => l.type === 'log')
  t.ok(capIndex < result.lines.length - 1, 'the log line comes before the terminal line')
})
