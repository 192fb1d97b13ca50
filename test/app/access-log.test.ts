/**
 * Logs that say what happened: exactly one access line per request, with its outcome, also for a
 * credential check whose client left and a sync whose reader went away; expected outcomes (503 while
 * draining, an upstream 5xx) at info/warn without a stack; one binding per key on debug lines. The app
 * listens on loopback and the Demo source reads its own sample API, so disconnects are real TCP.
 */
import t from 'tap'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { buildApp, type App } from '../../src/app.js'
import { logCollector } from '../routes/fixtures.js'
import type { SampleFault } from '../../src/sources/demo/sample-api.js'
import { startHarness, waitFor } from '../sync/helpers.js'

interface Line { level: number, msg: string, reqId?: string, [key: string]: unknown }

async function listeningApp (level: 'debug' | 'info' = 'debug'): Promise<{ app: App, url: string, lines: () => Line[], raw: string[] }> {
  const { stream, lines } = logCollector()
  const app = await buildApp({ logStream: stream, settings: { LOG_LEVEL: level, ALLOW_PRIVATE_UPSTREAMS: true } })
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  return { app, url: `http://127.0.0.1:${port}`, lines: () => lines.map((l) => JSON.parse(l) as Line), raw: lines }
}

const accessLines = (lines: Line[], reqId: string): Line[] => lines.filter((l) => l.reqId === reqId && l.msg === 'request completed')

/** POST JSON and leave after `leaveAfterMs`, or after the first body bytes when null. */
async function postAndLeave (url: string, body: unknown, reqId: string, leaveAfterMs: number | null): Promise<void> {
  const payload = JSON.stringify(body)
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'x-request-id': reqId }
    }, (response) => {
      response.once('data', () => { req.destroy(); resolve() })
    })
    req.on('error', () => { resolve() })
    req.end(payload)
    if (leaveAfterMs !== null) setTimeout(() => { req.destroy(); resolve() }, leaveAfterMs)
    req.on('close', () => { resolve() })
    void reject
  })
}

t.test('exactly one access line per request, with its outcome', async (t) => {
  const { url, lines } = await listeningApp()
  const post = async (path: string, body: unknown, reqId: string): Promise<Response> => await fetch(url + path, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': reqId }, body: JSON.stringify(body)
  })
  await (await post('/v1/sources/demo/sync', { config: { rows: 5, page_size: 2 }, schema: 'customers' }, 'sync-complete')).text()
  await (await post('/v1/sources/demo/sync', { config: { rows: 5, page_size: 2 }, schema: 'customers', limits: { max_rows: 1 } }, 'sync-preview')).text()
  await (await post('/v1/sources/demo/sync', { config: {}, schema: 'nope' }, 'sync-unknown-table')).text()
  // A sync whose reader leaves after the first bytes (50 ms a page, 1000 pages).
  await postAndLeave(url + '/v1/sources/demo/sync', { config: { rows: 1000, page_size: 1, latency_ms: 50 }, schema: 'customers' }, 'sync-gone', null)
  await waitFor(() => lines().some((l) => l.reqId === 'sync-gone' && l.msg === 'sync finished'))
  const all = lines()
  const expected: Record<string, { statusCode: number, outcome: string }> = {
    'sync-complete': { statusCode: 200, outcome: 'completed' },
    'sync-preview': { statusCode: 200, outcome: 'limit_reached' },
    'sync-unknown-table': { statusCode: 404, outcome: 'rejected' },
    'sync-gone': { statusCode: 200, outcome: 'client_gone' }
  }
  for (const [reqId, want] of Object.entries(expected)) {
    const access = accessLines(all, reqId)
    t.equal(access.length, 1, `${reqId}: one access line`)
    t.match(access[0], { level: 30, method: 'POST', ...want, durationMs: Number }, reqId)
  }
  t.match(all.find((l) => l.reqId === 'sync-gone' && l.msg === 'sync finished'), { outcome: 'client_gone', level: 30 })
  const perRequest = new Map<string, number>()
  for (const line of all) if (line.msg === 'request completed' && line.reqId !== undefined) perRequest.set(line.reqId, (perRequest.get(line.reqId) ?? 0) + 1)
  t.same([...perRequest.entries()].filter(([, n]) => n !== 1), [], 'no request (the sample API\'s included) has two access lines')
})

t.test('a credential check whose client leaves before the answer: one access line, client_gone', async (t) => {
  const slow = await startHarness({ upstream: { latencyMs: 1000 }, captureLogs: true })
  t.teardown(slow.close)
  const lines = (): Line[] => slow.logs.map((l) => JSON.parse(l) as Line)
  await postAndLeave(slow.url + '/v1/sources/demo/validate', { config: { base_url: slow.upstream.baseUrl } }, 'validate-gone', 150)
  await waitFor(() => accessLines(lines(), 'validate-gone').length > 0)
  await new Promise((resolve) => setTimeout(resolve, 1200)) // the abandoned check ends: no second line
  const access = accessLines(lines(), 'validate-gone')
  t.equal(access.length, 1)
  t.match(access[0], { level: 30, statusCode: 499, outcome: 'client_gone', url: '/v1/sources/demo/validate' })
})

t.test('debug lines bind each key once ("source" not twice)', async (t) => {
  const { url, raw } = await listeningApp('debug')
  await (await fetch(url + '/v1/sources/demo/sync', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ config: { rows: 3, page_size: 2 }, schema: 'customers' })
  })).text()
  const upstream = raw.filter((l) => l.includes('"msg":"upstream response"'))
  t.ok(upstream.length >= 2, 'the engine logged its upstream responses')
  for (const line of upstream) t.equal(line.split('"source":').length - 1, 1, line)
})

t.test('expected outcomes are info/warn without a stack; error with a stack only for bugs', async (t) => {
  let fault: SampleFault | undefined
  const h = await startHarness({ upstream: { fault: () => fault }, captureLogs: true })
  t.teardown(h.close)
  const lines = (): Line[] => h.logs.map((l) => JSON.parse(l) as Line)

  fault = { status: 503, body: { error: { code: 'down', message: 'maintenance' } } }
  const schemas = await fetch(h.url + '/v1/sources/demo/validate', {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'upstream-503' }, body: JSON.stringify({ config: { base_url: h.upstream.baseUrl } })
  })
  t.equal(schemas.status, 502)
  const sync = await fetch(h.url + '/v1/sources/demo/sync', {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'sync-503' }, body: JSON.stringify({ config: { base_url: h.upstream.baseUrl }, schema: 'customers' })
  })
  t.match(await sync.text(), /"type":"error"/)
  fault = undefined
  await waitFor(() => accessLines(lines(), 'upstream-503').length === 1 && accessLines(lines(), 'sync-503').length === 1)
  const failed = lines().filter((l) => l.reqId === 'upstream-503' || l.reqId === 'sync-503')
  t.same(failed.filter((l) => l.level > 40), [], 'an upstream 5xx is at most a warning')
  // A credential check whose vendor fails answers 502 UPSTREAM_UNAVAILABLE: the credential was not checked.
  t.ok(failed.some((l) => l.reqId === 'upstream-503' && l.level === 40 && l.msg === 'request failed' && l.code === 'UPSTREAM_UNAVAILABLE'), 'the failed check says what failed')
  t.match(failed.find((l) => l.msg === 'sync finished'), { level: 40, outcome: 'failed', code: 'UPSTREAM_HTTP_ERROR' })
  t.match(accessLines(failed, 'upstream-503')[0], { level: 40, statusCode: 502, outcome: 'failed' })
  t.ok(failed.every((l) => !('err' in l)), 'no stack trace')

  h.app.lifecycle.beginShutdown()
  const ready = await fetch(h.url + '/ready', { headers: { 'x-request-id': 'ready-draining' } })
  t.equal(ready.status, 503)
  await waitFor(() => accessLines(lines(), 'ready-draining').length === 1)
  const drained = lines().filter((l) => l.reqId === 'ready-draining')
  t.ok(drained.every((l) => l.level <= 30), 'a draining instance\'s 503 is info')
  t.ok(drained.every((l) => !('err' in l) && !JSON.stringify(l).includes('stack')), 'and has no stack')
})
