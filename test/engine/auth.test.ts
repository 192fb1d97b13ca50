/** Auth schemes as the fake sees them, and OAuth2 token fetch, caching, refresh and failure. */
import t from 'tap'
import type { AuthConfig } from '../../src/engine/types.js'
import { UpstreamAuthError } from '../../src/errors.js'
import { startRestFake, type FakeRequest } from '../fakes/rest-fake.js'
import { testRun, testServices } from './helpers.js'

t.test('bearer, basic and API key (header with scheme, query) reach the upstream as declared', async (t) => {
  const fake = await startRestFake({ 'GET /me': () => ({ json: {} }) })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const cases: Array<[AuthConfig, (r: FakeRequest) => unknown, unknown]> = [
    [{ type: 'bearer', token: 'b-token-1' }, (r) => r.headers.authorization, 'Bearer b-token-1'],
    [{ type: 'basic', username: 'user', password: 'pw-secret' }, (r) => r.headers.authorization, `Basic ${Buffer.from('user:pw-secret').toString('base64')}`],
    [{ type: 'api_key', name: 'Authorization', key: 'pk_live_1', scheme: 'Klaviyo-API-Key' }, (r) => r.headers.authorization, 'Klaviyo-API-Key pk_live_1'],
    [{ type: 'api_key', name: 'X-Api-Key', key: 'xk-2' }, (r) => r.headers['x-api-key'], 'xk-2'],
    [{ type: 'api_key', name: 'token', key: 'qk-3', in: 'query' }, (r) => r.query.get('token'), 'qk-3']
  ]
  for (const [auth, read, expected] of cases) {
    const client = services.createClient({ source: 'A', baseUrl: fake.url, auth }, testRun())
    await client.request({ method: 'GET', path: '/me' })
    t.equal(read(fake.requests.at(-1) as FakeRequest), expected, auth.type)
  }
})

async function oauthFake (expiresIn: number) {
  let issued = 0
  const fake = await startRestFake({
    'POST /oauth/token': (req) => {
      const form = new URLSearchParams(String(req.body))
      if (form.get('client_secret') !== 'cs-secret-9') return { status: 401, json: { error: 'invalid_client', error_description: 'bad cs-secret-9' } }
      if (form.get('grant_type') === 'refresh_token' && form.get('refresh_token') !== 'rt-secret-1' && form.get('refresh_token') !== 'rt-rotated') {
        return { status: 400, json: { error: 'invalid_grant' } }
      }
      issued++
      return { json: { access_token: `at-${issued}`, token_type: 'bearer', expires_in: expiresIn, ...(form.get('grant_type') === 'refresh_token' ? { refresh_token: 'rt-rotated' } : {}), scope: form.get('scope') } }
    },
    'GET /data': (req) => req.headers.authorization === `Bearer at-${issued}` ? { json: [{ id: 1 }] } : { status: 401, json: { message: 'expired' } }
  })
  return { fake, issued: () => issued }
}

t.test('OAuth2 refresh_token: one token for concurrent runs of one credential, cached', async (t) => {
  const { fake, issued } = await oauthFake(3600)
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const auth: AuthConfig = { type: 'oauth2_refresh_token', tokenUrl: `${fake.url}/oauth/token`, clientId: 'cid', clientSecret: 'cs-secret-9', refreshToken: 'rt-secret-1' }
  const a = services.createClient({ source: 'O', baseUrl: fake.url, auth }, testRun())
  const b = services.createClient({ source: 'O', baseUrl: fake.url, auth }, testRun())
  await Promise.all([a.request({ method: 'GET', path: '/data' }), b.request({ method: 'GET', path: '/data' }), a.request({ method: 'GET', path: '/data' })])
  t.equal(issued(), 1, 'token fetched once')
  t.equal(fake.hits('/oauth/token').length, 1)
  t.equal(fake.hits('/data').every((r) => r.headers.authorization === 'Bearer at-1'), true)
})

t.test('OAuth2 token near expiry is refreshed first; a 401 drops the token and retries once', async (t) => {
  const { fake, issued } = await oauthFake(30)
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const auth: AuthConfig = { type: 'oauth2_refresh_token', tokenUrl: `${fake.url}/oauth/token`, clientId: 'cid', clientSecret: 'cs-secret-9', refreshToken: 'rt-secret-1' }
  const client = services.createClient({ source: 'O', baseUrl: fake.url, auth }, testRun())
  await client.request({ method: 'GET', path: '/data' })
  await client.request({ method: 'GET', path: '/data' })
  t.equal(issued(), 2, 'a token within the refresh margin is replaced before use')
  const second = new URLSearchParams(String(fake.hits('/oauth/token')[1]?.body))
  t.equal(second.get('refresh_token'), 'rt-rotated', 'a rotated refresh token is used next')

  const { fake: longLived } = await oauthFake(3600)
  t.teardown(async () => { await longLived.close() })
  let flip = true
  longLived.route('GET /flaky', () => { flip = !flip; return flip ? { json: [{ id: 2 }] } : { status: 401, json: { message: 'token revoked' } } })
  const c = services.createClient({ source: 'O2', baseUrl: longLived.url, auth: { ...auth, tokenUrl: `${longLived.url}/oauth/token` } }, testRun())
  t.equal((await c.request({ method: 'GET', path: '/flaky' })).status, 200)
  t.equal(longLived.hits('/oauth/token').length, 2, 'token refetched after the 401')
})

t.test('OAuth2 client_credentials sends scopes; a rejected client is an auth error without secrets', async (t) => {
  const { fake } = await oauthFake(3600)
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const auth: AuthConfig = { type: 'oauth2_client_credentials', tokenUrl: `${fake.url}/oauth/token`, clientId: 'cid', clientSecret: 'cs-secret-9', scopes: ['read', 'write'] }
  await services.createClient({ source: 'C', baseUrl: fake.url, auth }, testRun()).request({ method: 'GET', path: '/data' })
  const form = new URLSearchParams(String(fake.hits('/oauth/token')[0]?.body))
  t.equal(form.get('grant_type'), 'client_credentials')
  t.equal(form.get('scope'), 'read write')

  const run = testRun()
  const bad = services.createClient({ source: 'C', baseUrl: fake.url, auth: { ...auth, clientSecret: 'cs-wrong-0' } }, run)
  const error = await bad.request({ method: 'GET', path: '/data' }).catch((e: unknown) => e) as UpstreamAuthError
  t.type(error, UpstreamAuthError)
  t.equal(error.status, 401)
  t.match(error.message, /invalid_client/)
  t.notMatch(error.message, /cs-/)
})

t.test('a token endpoint answering 503 once is retried', async (t) => {
  const { fake } = await oauthFake(3600)
  let failed = false
  fake.route('POST /oauth/flaky-token', () => {
    if (!failed) { failed = true; return { status: 503, json: { error: 'temporarily_unavailable' } } }
    return { json: { access_token: 'at-flaky', expires_in: 3600 } }
  })
  fake.route('GET /whoami', (req) => ({ json: { auth: req.headers.authorization } }))
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const auth: AuthConfig = { type: 'oauth2_client_credentials', tokenUrl: `${fake.url}/oauth/flaky-token`, clientId: 'cid', clientSecret: 'cs-secret-9' }
  const client = services.createClient({ source: 'F', baseUrl: fake.url, auth }, testRun())
  const result = await client.request({ method: 'GET', path: '/whoami' })
  t.same(result.body, { auth: 'Bearer at-flaky' })
  t.equal(fake.hits('/oauth/flaky-token').length, 2)
})
