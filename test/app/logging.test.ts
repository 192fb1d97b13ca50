import t from 'tap'
import { buildApp } from '../../src/app.js'
import { createLogger, pathRedactor, REDACTED, redactPaths } from '../../src/logging.js'
import { sourceRegistry } from '../../src/sources/registry.js'
import { buildTestApp, logCollector } from '../routes/fixtures.js'

t.test('redaction by configuration: secret fields at any depth, odd names, authorization headers', async (t) => {
  const { stream, lines } = logCollector()
  const log = createLogger({ level: 'info', secretFieldNames: ['api_key', 'private_key', 'x-auth'] }, stream)
  log.info({
    api_key: 's1',
    config: { api_key: 's2', region: 'eu', 'x-auth': 's3', tunnel: { auth_type: { private_key: 's4' } } },
    req: { headers: { authorization: 'Bearer s5', 'user-agent': 'curl' } },
    rows: [{ api_key: 's6' }]
  }, 'hello')
  t.equal(lines.length, 1)
  const line = JSON.parse(lines[0]!)
  for (const secret of ['s1', 's2', 's3', 's4', 's5', 's6']) t.notOk(lines[0]!.includes(`"${secret}"`), secret)
  t.equal(line.config.api_key, REDACTED)
  t.equal(line.config.tunnel.auth_type.private_key, REDACTED)
  t.equal(line.config.region, 'eu', 'other values stay')
  t.equal(line.req.headers['user-agent'], 'curl')
  t.ok(redactPaths(['x-auth']).includes('*["x-auth"]'), 'names that are not identifiers use bracket paths')
})

t.test('redaction reaches errors, causes, arrays, child bindings and proxy headers; the caller keeps its objects', async (t) => {
  const { stream, lines } = logCollector()
  const log = createLogger({ level: 'info', secretFieldNames: ['api_key', 'token'] }, stream)
  const config = { api_key: 's1', region: 'eu', nested: { deeper: { token: 's2' } } }
  const error = Object.assign(new Error('upstream refused'), { config: { api_key: 's3' } })
  const cause = Object.assign(new Error('cause'), { token: 's4' })
  const wrapped = new Error('wrapped', { cause })
  log.child({ config, token: 's5' }).info({
    err: error,
    other: wrapped,
    upstream: { headers: { authorization: 'Bearer s6', 'proxy-authorization': 'Basic s7', accept: 'json' } },
    list: [[{ token: 's8' }]]
  }, 'hello')
  t.equal(lines.length, 1)
  for (const secret of ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8']) t.notOk(lines[0]!.includes(secret), secret)
  const line = JSON.parse(lines[0]!)
  t.equal(line.config.region, 'eu', 'bindings: other values stay')
  t.equal(line.config.nested.deeper.token, REDACTED, 'bindings: nested secret')
  t.equal(line.err.message, 'upstream refused', 'an error stays an error')
  t.equal(line.err.type, 'Error')
  t.equal(line.err.config.api_key, REDACTED)
  t.equal(line.upstream.headers.accept, 'json')
  t.equal(config.api_key, 's1', 'the logged object is not changed')
  t.equal(error.config.api_key, 's3', 'the logged error is not changed')
  t.equal(cause.token, 's4')
})

t.test('pathRedactor: wildcards, literal and bracket paths, depth limit, untouched objects returned as they are', async (t) => {
  const redact = pathRedactor(['a.b', '*.c', '["x-y"].z', '*.*.d'])
  const plain = { method: 'GET', url: '/v1/sources', statusCode: 200, nested: { e: 1 } }
  t.equal(redact(plain), plain, 'nothing to censor: the same object')
  t.same(redact({ a: { b: 1, c: 2, d: 3 }, q: { c: 4, r: { d: 5, c: 6 } }, 'x-y': { z: 7 } }),
    { a: { b: REDACTED, c: REDACTED, d: 3 }, q: { c: REDACTED, r: { d: REDACTED, c: 6 } }, 'x-y': { z: REDACTED } })
  t.same(redact({ c: 1, b: 2 }), { c: 1, b: 2 }, 'no path of one segment')
  t.same(redact({ q: { c: undefined } }), { q: { c: undefined } }, 'absent values stay absent')
  t.same(redact({ q: [{ d: 1 }, 'x'] }), { q: [{ d: REDACTED }, 'x'] }, 'array items match wildcards')
  t.ok(Array.isArray(redact({ q: [{ d: 1 }] }).q), 'arrays stay arrays')
})

t.test('the default app redacts every secret field of every registered source', async (t) => {
  const secrets = sourceRegistry().secretFieldNames()
  const { stream, lines } = logCollector()
  const app = await buildApp({ logStream: stream, settings: { LOG_LEVEL: 'info' } })
  t.teardown(() => app.close())
  const config = Object.fromEntries(secrets.map((name) => [name, `canary-${name}`]))
  app.log.info({ config }, 'a source logged its config')
  const line = lines.find((l) => l.includes('a source logged its config'))
  t.ok(line)
  for (const name of secrets) t.notOk(line!.includes(`canary-${name}`), name)
})

t.test('request ids: every response carries one, a sane incoming x-request-id is kept', async (t) => {
  const { app, logs, close } = await buildTestApp()
  t.teardown(close)
  const fresh = await app.inject({ method: 'GET', url: '/health' })
  t.match(fresh.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  const kept = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'trace-abc.123' } })
  t.equal(kept.headers['x-request-id'], 'trace-abc.123')
  const hostile = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'a"b\\n{"level":60}' } })
  t.match(hostile.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'an unsafe id is replaced')
  const parsed = logs.map((l) => JSON.parse(l) as { reqId?: string, msg: string })
  t.ok(parsed.some((l) => l.reqId === 'trace-abc.123' && l.msg === 'request completed'), 'log lines carry the request id')
})

t.test('one access line per request: method, path without the query, status, duration, request id', async (t) => {
  const { app, logs, close } = await buildTestApp()
  t.teardown(close)
  const before = logs.length
  await app.inject({ method: 'GET', url: '/v1/sources?include_unreleased=true&token=q-secret', headers: { 'x-request-id': 'access-1' } })
  const lines = logs.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>)
  t.equal(lines.length, 1, 'a single line')
  t.match(lines[0], { msg: 'request completed', reqId: 'access-1', method: 'GET', url: '/v1/sources', statusCode: 200, durationMs: Number })
  t.notOk(logs.slice(before).join('').includes('q-secret'), 'the query string is not logged')
})
