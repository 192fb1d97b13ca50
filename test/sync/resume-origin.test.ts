/**
 * Resume tokens across restarts and origins: a Demo token (its base URL is configuration) survives a
 * restart on another port; a token signed under another secret is refused; a validly signed token whose
 * URL names another origin ends in UPSTREAM_TARGET_BLOCKED without a connection to that origin.
 */
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import t from 'tap'
import { buildApp, type App } from '../../src/app.js'
import { ResumeTokens } from '../../src/sync/resume-state.js'
import type { SyncLine } from '../../src/sync/lines.js'
import { startBystander } from '../helpers/connection-counter.js'

const SECRET = 'resume-origin-test-secret-0123456789'

async function startApp (secrets: string[], logs?: string[]): Promise<{ app: App, url: string }> {
  const app = await buildApp({
    settings: { LOG_LEVEL: logs === undefined ? 'silent' : 'warn', PORT: 0, RESUME_TOKEN_SECRET: secrets },
    ...(logs === undefined ? {} : { logStream: new Writable({ write (chunk, _encoding, done) { logs.push(String(chunk)); done() } }) })
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` }
}

async function sync (url: string, body: Record<string, unknown>): Promise<{ status: number, lines: SyncLine[], body?: Record<string, unknown> }> {
  const response = await fetch(`${url}/v1/sources/demo/sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const text = await response.text()
  if (!(response.headers.get('content-type') ?? '').startsWith('application/x-ndjson')) return { status: response.status, lines: [], body: JSON.parse(text) }
  return { status: response.status, lines: text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as SyncLine) }
}

const records = (lines: SyncLine[]): unknown[] => lines.flatMap((l) => l.type === 'record' ? [l.data] : [])

t.test('a Demo resume token survives a restart of the service on another port', async (t) => {
  const body = { config: { rows: 7, page_size: 2 }, schema: 'customer_notes' }
  const first = await startApp([SECRET])
  const full = await sync(first.url, body)
  await first.app.close()
  const points = full.lines.flatMap((l) => l.type === 'state' ? [l] : [])
  t.ok(points.length >= 3, `several state lines (${points.length})`)
  const second = await startApp([SECRET])
  t.teardown(async () => { await second.app.close() })
  t.not(second.url, first.url, 'another port')
  for (const point of [points[0], points[Math.floor(points.length / 2)], points.at(-1)]) {
    if (point?.type !== 'state') continue
    const rest = await sync(second.url, { ...body, resume_state: point.state })
    t.equal(rest.lines.at(-1)?.type, 'end', `resumed after ${point.rows} rows`)
    t.same(records(rest.lines), records(full.lines).slice(point.rows), `exactly the rest after ${point.rows} rows`)
  }
})

t.test('without RESUME_TOKEN_SECRET a warning is logged and tokens do not survive a restart', async (t) => {
  const logs: string[] = []
  const first = await startApp([], logs)
  const full = await sync(first.url, { config: { rows: 4, page_size: 2 }, schema: 'customers' })
  await first.app.close()
  t.ok(logs.some((l) => JSON.parse(l).level === 40 && l.includes('RESUME_TOKEN_SECRET is not set')), 'a warning names the setting')
  const token = full.lines.find((l) => l.type === 'state')
  const second = await startApp([])
  t.teardown(async () => { await second.app.close() })
  const resumed = await sync(second.url, { config: { rows: 4, page_size: 2 }, schema: 'customers', resume_state: token?.type === 'state' ? token.state : '' })
  t.equal(resumed.status, 400)
  t.match(resumed.body, { code: 'VALIDATION_FAILED', errors: [{ path: '/resume_state', message: /signature mismatch/ }] })
})

t.test('a validly signed token naming another origin is refused before any connection to it', async (t) => {
  const bystander = await startBystander()
  const { app, url } = await startApp([SECRET])
  t.teardown(async () => { await app.close(); await bystander.close() })
  const binding = { source: 'Demo', schema: 'customers', syncType: 'full_refresh' as const, incrementalField: null }
  const forged = new ResumeTokens([SECRET]).encode(binding, {
    engine: { v: 2, next: { u: `${bystander.url}/demo-api/customers?cursor=x` }, pages: 1 },
    watermarks: { lastValue: null, earliestValue: null }
  })
  const result = await sync(url, { config: {}, schema: 'customers', resume_state: forged })
  t.match(result.lines.at(-1), { type: 'error', code: 'UPSTREAM_TARGET_BLOCKED', retryable: false, message: new RegExp(bystander.url.replaceAll('.', '\\.')) })
  t.equal(bystander.connections(), 0)
})
