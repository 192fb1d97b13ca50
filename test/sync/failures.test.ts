import t from 'tap'
import type { SampleFault, SampleRequest } from '../../src/sources/demo/sample-api.js'
import { contractProblems, demoConfig, records, startHarness, states, sync, terminal } from './helpers.js'

let fault: ((request: SampleRequest) => SampleFault | undefined) | undefined
const h = await startHarness({ upstream: { fault: (request) => fault?.(request) } })
t.teardown(h.close)
t.afterEach(() => { fault = undefined })

const config = (): Record<string, unknown> => demoConfig(h, { rows: 20, page_size: 3 })

t.test('a permanent upstream failure mid-stream: error line with the last good state, friendly words, not retryable', async (t) => {
  const start = h.upstream.requests.length
  fault = (request) => request.n - start === 4 ? { status: 404, body: { error: { code: 'not_found', message: 'gone' } } } : undefined
  const failed = await sync(h, 'demo', { config: config(), schema: 'customers' })
  t.same(contractProblems(failed.lines), [])
  const sent = records(failed.lines)
  const last = terminal(failed.lines)
  t.match(last, { type: 'error', code: 'UPSTREAM_HTTP_ERROR', retryable: false, message: /does not serve the sample API/ })
  const lastState = states(failed.lines).at(-1)
  t.equal(last?.type === 'error' ? last.state : undefined, lastState?.state, 'the error carries the last state line')
  t.equal(lastState?.rows, sent.length, 'every row sent is covered by that state')

  // The state is usable: resuming once the upstream is healthy again yields exactly the rest.
  fault = undefined
  const rest = await sync(h, 'demo', { config: config(), schema: 'customers', resume_state: lastState?.state ?? null })
  t.same(contractProblems(rest.lines), [])
  t.same([...sent, ...records(rest.lines)].map((r) => r.id), Array.from({ length: 20 }, (_, i) => i + 1))
})

t.test('a transient failure that outlasts the retries: retryable error line, retry events logged', async (t) => {
  const start = h.upstream.requests.length
  fault = (request) => request.n - start >= 3 ? { status: 503 } : undefined
  const failed = await sync(h, 'demo', { config: config(), schema: 'orders' })
  t.same(contractProblems(failed.lines), [])
  t.match(terminal(failed.lines), { type: 'error', code: 'UPSTREAM_HTTP_ERROR', retryable: true, state: String })
  t.ok(failed.lines.some((l) => l.type === 'log' && l.event === 'retry' && (l as Record<string, unknown>).status === 503), 'the retry is visible as a log line')
  t.equal(records(failed.lines).length, 6, 'two good pages were sent before the failure')
})

t.test('a failure before the first page: error line with state null (start over)', async (t) => {
  fault = () => ({ status: 400, body: { error: { code: 'invalid_parameter', message: 'limit must be an integer' } } })
  const failed = await sync(h, 'demo', { config: config(), schema: 'customers' })
  t.same(contractProblems(failed.lines), [])
  t.match(terminal(failed.lines), { type: 'error', retryable: false, state: null, message: /invalid_parameter|limit must be an integer/ })
})

t.test('a failure right after a resume returns the resume token itself', async (t) => {
  const first = await sync(h, 'demo', { config: config(), schema: 'customers', limits: { max_pages: 2 } })
  const token = states(first.lines).at(-1)?.state ?? null
  fault = () => ({ status: 503 })
  const failed = await sync(h, 'demo', { config: config(), schema: 'customers', resume_state: token })
  t.match(terminal(failed.lines), { type: 'error', retryable: true, state: token })
})

t.test('rate limiting upstream (429 with Retry-After) shows as a log line and the sync completes', async (t) => {
  const start = h.upstream.requests.length
  fault = (request) => request.n - start === 2
    ? { status: 429, headers: { 'retry-after': '0', 'x-ratelimit-remaining': '0' }, body: { error: { code: 'rate_limited', message: 'slow down' } } }
    : undefined
  const result = await sync(h, 'demo', { config: config(), schema: 'customers' })
  t.same(contractProblems(result.lines), [])
  t.ok(result.lines.some((l) => l.type === 'log' && l.event === 'rate_limit_wait'), 'rate-limit wait logged')
  t.equal(records(result.lines).length, 20)
  t.equal(terminal(result.lines)?.type, 'end')
})
