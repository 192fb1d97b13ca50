/**
 * Requests mean what they say: unknown body keys are refused by name (inside `config` the form parser
 * decides, and it ignores them), `resume_state: ""` is not "no resume", only JSON bodies are read, and
 * what Node or fastify refuse before routing (431, 413, a bad URL) is a problem document too.
 */
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { SettingsError } from '../../src/settings.js'

const app = await buildApp({ settings: { LOG_LEVEL: 'silent' } })
await app.listen({ host: '127.0.0.1', port: 0 })
const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
t.teardown(async () => { await app.close() })

const post = async (path: string, body: unknown, contentType = 'application/json'): Promise<{ status: number, type: string, body: Record<string, unknown> }> => {
  const response = await app.inject({ method: 'POST', url: path, headers: { 'content-type': contentType }, payload: typeof body === 'string' ? body : JSON.stringify(body) })
  return { status: response.statusCode, type: String(response.headers['content-type']), body: response.json() }
}

t.test('unknown keys in sync, validate and schemas bodies: 400 naming each one', async (t) => {
  const cases: Array<[string, unknown, string[]]> = [
    ['/v1/sources/demo/sync', { config: {}, schema: 'customers', synctype: 'incremental', limit: 5 }, ['/limit', '/synctype']],
    ['/v1/sources/demo/sync', { config: {}, schema: 'customers', limits: { max_row: 5 } }, ['/limits/max_row']],
    ['/v1/sources/demo/validate', { config: {}, extra: true }, ['/extra']],
    ['/v1/sources/demo/schemas', { config: {}, Config: {} }, ['/Config']]
  ]
  for (const [path, body, paths] of cases) {
    const answer = await post(path, body)
    t.equal(answer.status, 400, `${path} ${paths.join(' ')}`)
    t.match(answer.type, /^application\/problem\+json/)
    t.equal(answer.body.code, 'VALIDATION_FAILED')
    t.same((answer.body.errors as Array<{ path: string, message: string }>).map((e) => `${e.path}: ${e.message}`).sort(), paths.map((p) => `${p}: unknown property`))
  }
})

t.test('unknown keys inside config are the form parser\'s business: ignored', async (t) => {
  const answer = await post('/v1/sources/demo/validate', { config: { rows: 3, not_a_field: 1 } })
  t.equal(answer.status, 200)
  t.same(answer.body, { valid: true })
})

t.test('resume_state "" is a 400 naming /resume_state, not "start over"', async (t) => {
  const answer = await post('/v1/sources/demo/sync', { config: {}, schema: 'customers', resume_state: '' })
  t.equal(answer.status, 400)
  t.match(answer.body, { code: 'VALIDATION_FAILED', errors: [{ path: '/resume_state' }] })
})

t.test('text/plain (and XML) bodies: 415 naming the accepted type', async (t) => {
  for (const type of ['text/plain', 'application/xml']) {
    const answer = await post('/v1/sources/demo/validate', '{"config": {}}', type)
    t.equal(answer.status, 415, type)
    t.match(answer.type, /^application\/problem\+json/)
    t.match(answer.body, { code: 'UNSUPPORTED_MEDIA_TYPE', detail: /application\/json/ })
  }
})

/** A raw request over TCP (no client-side header limits), answer parsed. */
async function raw (path: string, headers: Record<string, string>, body?: string): Promise<{ status: number, type: string, body: Record<string, unknown> }> {
  return await new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method: body === undefined ? 'GET' : 'POST', headers, agent: false }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => { text += chunk })
      response.on('end', () => { resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), body: JSON.parse(text) }) })
    })
    req.on('error', reject)
    req.end(body)
  })
}

t.test('errors raised before routing are problem documents with stable codes', async (t) => {
  const huge = await raw('/health', { 'x-request-id': 'r'.repeat(20_000) })
  t.equal(huge.status, 431)
  t.match(huge.type, /^application\/problem\+json/)
  t.match(huge.body, { status: 431, code: 'HEADERS_TOO_LARGE', type: /headers-too-large$/ })

  const badUrl = await raw('/v1/sources/%E0%A4%A', {})
  t.equal(badUrl.status, 400)
  t.match(badUrl.type, /^application\/problem\+json/)
  t.match(badUrl.body, { status: 400, code: 'MALFORMED_URL' })

  const big = JSON.stringify({ config: { filler: 'x'.repeat(1_100_000) } })
  const tooLarge = await raw('/v1/sources/demo/validate', { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(big)) }, big)
  t.equal(tooLarge.status, 413)
  t.match(tooLarge.type, /^application\/problem\+json/)
  t.match(tooLarge.body, { status: 413, code: 'PAYLOAD_TOO_LARGE' })
})

t.test('UPSTREAM_BASE_URLS naming an unknown source is refused at start, naming it', async (t) => {
  const error = await buildApp({ settings: { LOG_LEVEL: 'silent', UPSTREAM_BASE_URLS: { Github: 'http://127.0.0.1:9', Gitlab: 'http://127.0.0.1:9' } } }).then(
    () => undefined, (e: unknown) => e)
  t.ok(error instanceof SettingsError)
  t.same((error as SettingsError).problems.map((p) => p.split(':')[0]), ['UPSTREAM_BASE_URLS.Gitlab'])
  t.match((error as SettingsError).problems[0], /no source is named "Gitlab"/)
  const caseInsensitive = await buildApp({ settings: { LOG_LEVEL: 'silent', UPSTREAM_BASE_URLS: { github: 'http://127.0.0.1:9' } } })
  await caseInsensitive.close()
})
