import t from 'tap'
import { buildApp } from '../../src/app.js'
import { createLogger, REDACTED, redactPaths } from '../../src/logging.js'
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
