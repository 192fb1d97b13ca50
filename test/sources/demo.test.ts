/** The Demo source: form, tables, credential check, pipeline plumbing, and the out-of-the-box path. */
import t from 'tap'
import { freePort } from '../helpers/free-port.js'
import pino from 'pino'
import { buildApp } from '../../src/app.js'
import { createEngineServices } from '../../src/engine/services.js'
import { BlockedTargetError, UpstreamHttpError, ValidationError } from '../../src/errors.js'
import { loadSettings } from '../../src/settings.js'
import { parseConfig } from '../../src/sources/config.js'
import { secretFieldNames } from '../../src/sources/fields.js'
import { customer } from '../../src/sources/demo/dataset.js'
import { listeningOrigin, serviceOrigin } from '../../src/service-origin.js'
import { startSampleApi } from '../../src/sources/demo/sample-api.js'
import { demoSource } from '../../src/sources/demo/source.js'
import { sourceRegistry } from '../../src/sources/registry.js'
import type { SourceContext } from '../../src/sources/types.js'
import { errorLineFor } from '../../src/sync/error-line.js'

const services = createEngineServices({ allowPrivateUpstreams: true })
t.teardown(async () => { await services.close() })
const api = await startSampleApi()
t.teardown(api.close)

function ctx (extra: Partial<SourceContext> = {}): SourceContext {
  return { services, log: pino({ level: 'silent' }), signal: new AbortController().signal, ...extra }
}

t.test('registered as Demo, a GA source with an icon and no secret fields', async (t) => {
  t.equal(sourceRegistry().get('demo'), demoSource)
  const config = demoSource.getSourceConfig()
  t.match(config, { name: 'Demo', releaseStatus: 'ga', iconPath: '/static/services/demo.svg' })
  t.same(config.fields.map((f) => f.name), ['rows', 'orders_per_customer', 'page_size', 'latency_ms', 'base_url'])
  t.ok(config.fields.every((f) => !('required' in f) || f.required === false), 'nothing is required')
  t.match(String(demoSource.assets?.['demo.svg']?.body), /^<svg/)
  t.same(secretFieldNames(demoSource.fields), [])
})

t.test('tables: customers and orders incremental on updated_at, notes full refresh only', async (t) => {
  const schemas = await demoSource.getSchemas(null, ctx())
  t.same(schemas.map((s) => [s.name, s.supports_incremental, s.incremental_fields.map((f) => f.field)]), [
    ['customers', true, ['updated_at']],
    ['orders', true, ['updated_at']],
    ['customer_notes', false, []]
  ])
  t.ok(schemas.every((s) => s.primary_keys.join() === 'id'))
  t.same(await demoSource.getSchemas(parseConfig(demoSource.fields, { rows: 5 }), ctx()), schemas)
  await t.rejects(demoSource.getSchemas(parseConfig(demoSource.fields, { page_size: 0 }), ctx()), { errors: [{ path: '/config/page_size' }] })
})

t.test('config: size knobs with defaults and ranges, every bad knob reported', async (t) => {
  const endpoints = (raw: Record<string, unknown>) => demoSource.endpointsFor(parseConfig(demoSource.fields, raw), ctx())
  t.match(endpoints({})[0], { params: { customers: 1000, orders_per_customer: 3 }, pageSize: { param: 'limit', value: 100 } })
  t.notOk('latency_ms' in (endpoints({})[0]?.params ?? {}), 'no added latency, no param')
  t.notOk('latency_ms' in (endpoints({ latency_ms: 0 })[0]?.params ?? {}), 'an added latency of 0 is no param either')
  t.match(endpoints({ rows: '25', page_size: 5 })[0], { params: { customers: 25 }, pageSize: { value: 5 } })
  const error = t.throws(() => endpoints({ rows: 1.5, orders_per_customer: 11, page_size: 0 })) as unknown
  t.ok(error instanceof ValidationError)
  t.same((error as ValidationError).errors.map((e) => e.path), ['/config/rows', '/config/orders_per_customer', '/config/page_size'])
  t.match(endpoints({ rows: 7, orders_per_customer: 2, page_size: 9, latency_ms: 30 })[0], { params: { customers: 7, orders_per_customer: 2, latency_ms: 30 }, pageSize: { param: 'limit', value: 9 } })
})

t.test('base URL: form value, then operator override, then the service\'s own sample API', async (t) => {
  const base = (raw: Record<string, unknown>, extra: Partial<SourceContext>) => demoSource.clientOptionsFor(parseConfig(demoSource.fields, raw), ctx(extra)).baseUrl
  t.equal(base({ base_url: 'http://a.example/demo-api/' }, { baseUrlOverride: 'http://b.example' }), 'http://a.example/demo-api')
  t.equal(base({}, { baseUrlOverride: 'http://b.example/x' }), 'http://b.example/x')
  t.equal(base({}, { serviceOrigin: 'http://127.0.0.1:9000' }), 'http://127.0.0.1:9000/demo-api')
  t.equal(base({}, {}), 'http://127.0.0.1:8000/demo-api', 'a service on the default HOST/PORT when nothing says otherwise')
  t.equal(serviceOrigin({ HOST: '0.0.0.0', PORT: 8123 }), 'http://127.0.0.1:8123')
  t.equal(serviceOrigin({ HOST: '::', PORT: 80 }), 'http://[::1]:80')
  t.equal(serviceOrigin({ HOST: 'localhost', PORT: 9 }), 'http://localhost:9')
  t.equal(listeningOrigin({ address: '0.0.0.0', family: 'IPv4', port: 41234 }, { HOST: '0.0.0.0', PORT: 0 }), 'http://127.0.0.1:41234')
  t.equal(listeningOrigin(null, { HOST: '127.0.0.1', PORT: 9000 }), 'http://127.0.0.1:9000')
})

t.test('only the service\'s own origin is trusted and gets the service token', async (t) => {
  const own = demoSource.clientOptionsFor(parseConfig(demoSource.fields, {}), ctx({ serviceOrigin: 'http://127.0.0.1:9000', serviceToken: 'internal' }))
  t.same(own.trustedOrigins, ['http://127.0.0.1:9000'])
  t.same(own.auth, { type: 'bearer', token: 'internal' })
  const other = demoSource.clientOptionsFor(parseConfig(demoSource.fields, { base_url: 'http://127.0.0.1:9001/demo-api' }), ctx({ serviceOrigin: 'http://127.0.0.1:9000', serviceToken: 'internal' }))
  t.equal(other.trustedOrigins, undefined)
  t.same(other.auth, { type: 'none' }, 'the internal token never goes to another origin')
})

t.test('credential check: the sample API answers → valid; something else → invalid with a reason', async (t) => {
  t.same(await demoSource.validateCredentials(parseConfig(demoSource.fields, { base_url: api.baseUrl }), ctx()), { valid: true })
  const wrong = await demoSource.validateCredentials(parseConfig(demoSource.fields, { base_url: api.baseUrl.replace('/demo-api', '/elsewhere') }), ctx())
  t.match(wrong, { valid: false, code: 'NOT_A_SAMPLE_API', message: /does not serve the Demo sample API/ })
})

t.test('pipeline handoff: metadata from the catalog, rows through the engine, resume and maxPages passed on', async (t) => {
  const config = parseConfig(demoSource.fields, { base_url: api.baseUrl, rows: 10, page_size: 4 })
  const response = await demoSource.sourceForPipeline(config, { schema: 'customers', syncType: 'full_refresh', maxPages: 2 }, ctx())
  t.match(response, { name: 'customers', primaryKeys: ['id'], partitionKeys: ['created_at'], partitionMode: 'datetime', sortMode: 'asc', tableFormat: 'delta' })
  const pages = []
  for await (const page of response.pages) pages.push(page)
  t.same(pages.flatMap((p) => p.rows), [1, 2, 3, 4, 5, 6, 7, 8].map(customer))
  const resumed = await demoSource.sourceForPipeline(config, { schema: 'customers', syncType: 'full_refresh', resumeState: pages[1]?.state ?? null }, ctx())
  const rest = []
  for await (const page of resumed.pages) rest.push(...page.rows)
  t.same(rest, [9, 10].map(customer))
  await t.rejects(demoSource.sourceForPipeline(config, { schema: 'customer_notes', syncType: 'incremental' }, ctx()), { code: 'UNSUPPORTED_REQUEST' })
  await t.rejects(demoSource.sourceForPipeline(config, { schema: 'nope', syncType: 'full_refresh' }, ctx()), { code: 'SCHEMA_NOT_FOUND' })
})

t.test('non-retryable errors: blocked addresses and a base URL that is not the sample API', async (t) => {
  const blocked = errorLineFor(new BlockedTargetError('Host "127.0.0.1" is loopback; upstream requests to non-public addresses are not allowed.'), demoSource, null)
  t.match(blocked, { retryable: false, message: /ALLOW_PRIVATE_UPSTREAMS/ })
  const notFound = errorLineFor(new UpstreamHttpError('Upstream returned 404 for GET http://x/demo-api/customers.', 404, 'http://x/demo-api/customers'), demoSource, 'tok')
  t.match(notFound, { retryable: false, state: 'tok', message: /does not serve the sample API/ })
  const transient = errorLineFor(new UpstreamHttpError('Upstream returned 503 for GET http://x/a after 5 attempts.', 503, 'http://x/a'), demoSource, null)
  t.match(transient, { retryable: true, code: 'UPSTREAM_HTTP_ERROR' })
})


t.test('out of the box: the service streams Demo rows from its own sample API, private upstreams still blocked', async (t) => {
  const port = await freePort()
  const app = await buildApp({ settings: { LOG_LEVEL: 'silent', PORT: port } })
  t.teardown(async () => { await app.close() })
  t.equal(app.settings.ALLOW_PRIVATE_UPSTREAMS, false)
  await app.listen({ host: '127.0.0.1', port })
  const response = await fetch(`http://127.0.0.1:${port}/v1/sources/Demo/sync`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ config: { rows: 3 }, schema: 'customers' })
  })
  const lines = (await response.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string, data?: unknown })
  t.same(lines.map((l) => l.type), ['schema', 'record', 'record', 'record', 'end'])
  t.same(lines[1]?.data, customer(1))
  // Another loopback origin (the standalone sample API) is not trusted.
  const other = await fetch(`http://127.0.0.1:${port}/v1/sources/Demo/sync`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ config: { rows: 3, base_url: api.baseUrl }, schema: 'customers' })
  })
  const last = JSON.parse((await other.text()).trim().split('\n').at(-1) ?? '{}') as unknown
  t.match(last, { type: 'error', code: 'UPSTREAM_TARGET_BLOCKED', retryable: false })
})

t.test('out of the box with PORT=0: the Demo default follows the port the server really listens on', async (t) => {
  const app = await buildApp({ settings: { LOG_LEVEL: 'silent', PORT: 0 } })
  t.teardown(async () => { await app.close() })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  t.not(port, 0)
  const response = await fetch(`http://127.0.0.1:${port}/v1/sources/Demo/sync`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ config: { rows: 2 }, schema: 'customers' })
  })
  const lines = (await response.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string })
  t.same(lines.map((l) => l.type), ['schema', 'record', 'record', 'end'])
})

t.test('with API_TOKENS set, /demo-api needs a token too; the Demo source still works through its internal one', async (t) => {
  const token = 'demo-test-token-0123456789abcdef'
  const app = await buildApp({ settings: { LOG_LEVEL: 'silent', PORT: 0, API_TOKENS: [token] } })
  t.teardown(async () => { await app.close() })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  const anonymous = await fetch(`${base}/demo-api/customers?limit=1`)
  t.equal(anonymous.status, 401, 'the sample API (and its rate-limit window) is not open to anyone')
  t.match(await anonymous.json(), { code: 'UNAUTHORIZED' })
  t.equal((await fetch(`${base}/demo-api/customers?limit=1`, { headers: { authorization: `Bearer ${token}` } })).status, 200, 'a caller with a service token may read it')
  const response = await fetch(`${base}/v1/sources/Demo/sync`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ config: { rows: 2 }, schema: 'customers' })
  })
  const lines = (await response.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string })
  t.same(lines.map((l) => l.type), ['schema', 'record', 'record', 'end'], 'the service authenticates to its own sample API')
  t.equal((await fetch(`${base}/v1/sources`, { headers: { authorization: `Bearer ${app.serviceToken ?? ''}` } })).status, 401,
    'the internal token opens the sample API only, never /v1')
})
