/**
 * Secret hygiene on the sync route: a canary credential that the upstream rejects and echoes back in
 * its error body never reaches a stream line, a response header or a log line.
 */
import { Writable } from 'node:stream'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { createEngineServices } from '../../src/engine/services.js'
import { findEndpoint, responseMetadata, schemasFromEndpoints } from '../../src/sources/tables.js'
import { startSampleApi } from '../../src/sources/demo/sample-api.js'
import { demoSource } from '../../src/sources/demo/source.js'

const DEMO_ENDPOINTS = demoSource.endpoints
import { defineSource } from '../../src/sources/types.js'
import { contractProblems } from './helpers.js'
import type { SyncLine } from '../../src/sync/lines.js'

const CANARY = 'canary-51c0ffee-sync-secret'

const FIELDS = [
  { type: 'password', name: 'api_key', label: 'API key', required: true, placeholder: 'key', secret: true },
  { type: 'url', name: 'base_url', label: 'Base URL', required: true, placeholder: 'http://127.0.0.1' }
] as const

/** A source with a secret field whose upstream (the sample API) rejects and echoes the key after two pages. */
const keyed = defineSource({
  name: 'Keyed',
  fields: FIELDS,
  getSourceConfig: () => ({ name: 'Keyed', fields: FIELDS.map((f) => ({ ...f })) }),
  validateCredentials: async () => ({ valid: true }),
  getSchemas: async () => schemasFromEndpoints(DEMO_ENDPOINTS),
  sourceForPipeline: async (config, inputs, ctx) => {
    const endpoint = findEndpoint(DEMO_ENDPOINTS, inputs.schema)
    const client = ctx.services.createClient({ source: 'Keyed', baseUrl: config.base_url, auth: { type: 'bearer', token: config.api_key } },
      { signal: ctx.signal, log: ctx.log, ...(ctx.onEvent === undefined ? {} : { onEvent: ctx.onEvent }) })
    ctx.log.info({ config }, 'starting keyed sync')
    return { name: endpoint.name, pages: client.pages({ ...endpoint, pageSize: { param: 'limit', value: 2 } }, { resumeState: inputs.resumeState ?? null }), ...responseMetadata(endpoint) }
  },
  errorRules: []
})

t.test('a canary key echoed by the upstream never reaches a line, a header or a log', async (t) => {
  const upstream = await startSampleApi({
    fault: (request) => request.n >= 3 ? { status: 401, body: { error: { message: `Key ${CANARY} is revoked` } } } : undefined
  })
  const services = createEngineServices({ allowPrivateUpstreams: true })
  const logs: string[] = []
  const app = await buildApp({
    settings: { LOG_LEVEL: 'debug' },
    services,
    sources: [keyed],
    logStream: new Writable({ write (chunk, _encoding, done) { logs.push(String(chunk)); done() } })
  })
  t.teardown(async () => { await app.close(); await services.close(); await upstream.close() })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const response = await fetch(`http://127.0.0.1:${port}/v1/sources/keyed/sync`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ config: { api_key: CANARY, base_url: upstream.baseUrl }, schema: 'customers' })
  })
  const text = await response.text()
  const lines = text.trim().split('\n').map((l) => JSON.parse(l) as SyncLine)
  t.same(contractProblems(lines), [])
  t.match(lines.at(-1), { type: 'error', code: 'UPSTREAM_AUTH_FAILED', retryable: false, state: String })
  t.equal(lines.filter((l) => l.type === 'record').length, 4, 'two pages went through before the rejection')
  t.notOk(text.includes(CANARY), 'not in the stream')
  t.notOk(JSON.stringify([...response.headers]).includes(CANARY), 'not in a header')
  t.ok(logs.some((l) => l.includes('starting keyed sync')), 'the source logged its config')
  t.ok(logs.some((l) => l.includes('sync finished')), 'the sync was logged')
  t.same(logs.filter((l) => l.includes(CANARY)), [], 'no log line holds the canary')
})
