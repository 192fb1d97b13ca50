import t from 'tap'
import { customer } from '../../src/sources/demo/dataset.js'
import { contractProblems, demoConfig, records, startHarness, states, sync, terminal } from './helpers.js'

const h = await startHarness()
t.teardown(h.close)

t.test('max_rows cuts mid-page: no state for the partial page, a log line says why, then end', async (t) => {
  const before = h.upstream.requests.length
  const result = await sync(h, 'demo', { config: demoConfig(h, { rows: 100, page_size: 3 }), schema: 'customers', limits: { max_rows: 5 } })
  t.same(contractProblems(result.lines), [])
  t.same(records(result.lines), [1, 2, 3, 4, 5].map(customer))
  t.same(states(result.lines).map((s) => s.rows), [3])
  t.match(result.lines.at(-2), { type: 'log', level: 'info', event: 'preview_limit_reached', max_rows: 5, rows: 5 })
  t.same(terminal(result.lines), { type: 'end', rows: 5, last_value: null, earliest_value: null })
  t.ok(h.upstream.requests.length - before <= 4, `a preview fetches only a few pages (${h.upstream.requests.length - before})`)
})

t.test('max_rows on a page boundary keeps the state line', async (t) => {
  const result = await sync(h, 'demo', { config: demoConfig(h, { rows: 100, page_size: 3 }), schema: 'customers', limits: { max_rows: 6 } })
  t.same(states(result.lines).map((s) => s.rows), [3, 6])
  t.equal(records(result.lines).length, 6)
})

t.test('max_pages stops after whole pages', async (t) => {
  const result = await sync(h, 'demo', { config: demoConfig(h, { rows: 100, page_size: 4 }), schema: 'customers', limits: { max_pages: 2 } })
  t.same(contractProblems(result.lines), [])
  t.same(records(result.lines).map((r) => r.id), [1, 2, 3, 4, 5, 6, 7, 8])
  t.same(states(result.lines).map((s) => s.rows), [4, 8])
  t.same(terminal(result.lines), { type: 'end', rows: 8, last_value: null, earliest_value: null })
})

t.test('limits larger than the table: the whole table, no preview log', async (t) => {
  const result = await sync(h, 'demo', { config: demoConfig(h, { rows: 5, page_size: 2 }), schema: 'customers', limits: { max_rows: 50, max_pages: 50 } })
  t.equal(records(result.lines).length, 5)
  t.equal(result.lines.filter((l) => l.type === 'log').length, 0)
})

t.test('a preview state resumes like any other', async (t) => {
  const preview = await sync(h, 'demo', { config: demoConfig(h, { rows: 10, page_size: 3 }), schema: 'customers', limits: { max_rows: 4 } })
  const state = states(preview.lines).at(-1)?.state
  const rest = await sync(h, 'demo', { config: demoConfig(h, { rows: 10, page_size: 3 }), schema: 'customers', resume_state: state ?? null })
  t.same(records(rest.lines).map((r) => r.id), [4, 5, 6, 7, 8, 9, 10])
})

t.test('bad limits are 400 problems naming the field', async (t) => {
  for (const limits of [{ max_rows: 0 }, { max_pages: -1 }, { max_rows: 1.5 }]) {
    const result = await sync(h, 'demo', { config: demoConfig(h), schema: 'customers', limits })
    t.equal(result.status, 400)
    t.match(result.body, { code: 'VALIDATION_FAILED', errors: [{ path: new RegExp(`^/limits/${Object.keys(limits)[0] ?? ''}`) }] })
  }
})
