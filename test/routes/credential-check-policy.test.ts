/**
 * A credential check serves a person waiting on a form: every source gets the engine's short interactive
 * policy (CREDENTIAL_CHECK_ATTEMPTS per request, one CREDENTIAL_CHECK_DEADLINE_MS for the check), and a
 * vendor that fails or does not answer is a 502 UPSTREAM_UNAVAILABLE saying the credential was not
 * checked. A refused target names the form field that holds the base URL.
 */
import type { lookup } from 'node:dns'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { createEngineServices } from '../../src/engine/services.js'
import { startRestFake } from '../fakes/rest-fake.js'

const TOKEN = 'github_pat_policy_test_0123456789'
const githubConfig = (baseUrl: string): Record<string, unknown> => ({ personal_access_token: TOKEN, repositories: 'octo/hello', api_base_url: baseUrl })

t.test('an upstream answering 500: two attempts, then 502 UPSTREAM_UNAVAILABLE (the vendor failed, not the credential)', async (t) => {
  const fake = await startRestFake({ 'GET /user': () => ({ status: 500, json: { message: 'Server Error' } }) })
  const app = await buildApp({ settings: { LOG_LEVEL: 'silent', ALLOW_PRIVATE_UPSTREAMS: true, CREDENTIAL_CHECK_DEADLINE_MS: 4000 } })
  t.teardown(async () => { await app.close(); await fake.close() })
  const started = Date.now()
  const response = await app.inject({ method: 'POST', url: '/v1/sources/github/validate', payload: { config: githubConfig(fake.url) } })
  t.equal(response.statusCode, 502)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.match(response.json(), { code: 'UPSTREAM_UNAVAILABLE', status: 502, detail: /GitHub API failed \(HTTP 500\).*not checked/ })
  t.equal(fake.hits('/user').length, 2, 'CREDENTIAL_CHECK_ATTEMPTS (2) attempts, not the sync policy\'s 5')
  t.ok(Date.now() - started < 4000, 'within the deadline')
  t.notMatch(response.body, new RegExp(TOKEN))
})

t.test('an upstream that does not answer: 502 UPSTREAM_UNAVAILABLE at the deadline', async (t) => {
  const fake = await startRestFake({ 'GET /user': () => ({ delayMs: 5000, json: { login: 'octo' } }) })
  const app = await buildApp({ settings: { LOG_LEVEL: 'silent', ALLOW_PRIVATE_UPSTREAMS: true, CREDENTIAL_CHECK_DEADLINE_MS: 300 } })
  t.teardown(async () => { await app.close(); await fake.close() })
  const started = Date.now()
  const response = await app.inject({ method: 'POST', url: '/v1/sources/github/validate', payload: { config: githubConfig(fake.url) } })
  const took = Date.now() - started
  t.equal(response.statusCode, 502)
  t.match(response.json(), { code: 'UPSTREAM_UNAVAILABLE', detail: /did not answer/ })
  t.ok(took < 2500, `answered after ${took} ms, not after the 60 s headers timeout`)
})

t.test('a refused base URL names its form field; a trailing dot does not hide localhost (no DNS lookup)', async (t) => {
  const fake = await startRestFake({ 'GET /user': () => ({ json: { login: 'octo' } }) })
  let lookups = 0
  const dnsLookup = ((_host: string, _options: unknown, callback: (error: null, addresses: Array<{ address: string, family: number }>) => void) => {
    lookups++
    callback(null, [{ address: '127.0.0.1', family: 4 }])
  }) as unknown as typeof lookup
  const services = createEngineServices({ dnsLookup })
  const app = await buildApp({ settings: { LOG_LEVEL: 'silent' }, services })
  t.teardown(async () => { await app.close(); await services.close(); await fake.close() })
  const port = new URL(fake.url).port
  for (const baseUrl of [`http://localhost.:${port}`, `http://127.0.0.1:${port}`, `http://LOCALHOST..:${port}/api`]) {
    const response = await app.inject({ method: 'POST', url: '/v1/sources/github/validate', payload: { config: githubConfig(baseUrl) } })
    t.equal(response.statusCode, 400, baseUrl)
    t.match(response.json(), { code: 'UPSTREAM_TARGET_BLOCKED', errors: [{ path: '/config/api_base_url' }] }, baseUrl)
  }
  const demo = await app.inject({ method: 'POST', url: '/v1/sources/demo/validate', payload: { config: { base_url: `http://localhost.:${port}/demo-api` } } })
  t.match(demo.json(), { code: 'UPSTREAM_TARGET_BLOCKED', errors: [{ path: '/config/base_url' }] }, 'the field is derived: the form\'s only url field')
  t.equal(lookups, 0, 'refused before DNS')
  t.equal(fake.requests.length, 0)
})
