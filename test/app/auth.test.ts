import t from 'tap'
import { tokenMatcher } from '../../src/plugins/auth.js'
import { buildTestApp, GOOD_TOKEN } from '../routes/fixtures.js'

const TOKENS = ['service-token-one-0123456789', 'service-token-two-0123456789']

t.test('with API_TOKENS set, /v1 routes need one of them as a bearer token', async (t) => {
  const { app, close } = await buildTestApp({ API_TOKENS: TOKENS })
  t.teardown(close)
  const requests = [
    { method: 'GET' as const, url: '/v1/sources' },
    { method: 'GET' as const, url: '/v1/sources/acme' },
    { method: 'POST' as const, url: '/v1/sources/acme/validate', payload: { config: { api_key: GOOD_TOKEN } } },
    { method: 'POST' as const, url: '/v1/sources/acme/schemas', payload: { config: { api_key: GOOD_TOKEN } } },
    { method: 'GET' as const, url: '/v1/sources/acme/schemas' }
  ]
  const refusals: Array<[string, Record<string, string>]> = [
    ['no header', {}],
    ['wrong token', { authorization: 'Bearer service-token-three-012345' }],
    ['a prefix of a good token', { authorization: 'Bearer service-token-one' }],
    ['basic scheme', { authorization: `Basic ${Buffer.from('x:' + TOKENS[0]).toString('base64')}` }],
    ['token without scheme', { authorization: TOKENS[0]! }]
  ]
  for (const request of requests) {
    for (const [name, headers] of refusals) {
      const response = await app.inject({ ...request, headers })
      t.equal(response.statusCode, 401, `${request.method} ${request.url}: ${name}`)
      t.match(response.headers['content-type'], /^application\/problem\+json/)
      t.equal(response.headers['www-authenticate'], 'Bearer')
      t.match(response.json(), { code: 'UNAUTHORIZED', status: 401, title: 'Unauthorized' })
    }
    for (const token of TOKENS) {
      const response = await app.inject({ ...request, headers: { authorization: `Bearer ${token}` } })
      t.equal(response.statusCode, 200, `${request.method} ${request.url} with a configured token`)
    }
  }
  for (const url of ['/health', '/ready', '/docs/json']) {
    t.equal((await app.inject({ method: 'GET', url })).statusCode, 200, `${url} needs no token`)
  }
})

t.test('without API_TOKENS the routes are open (the server then stays on loopback)', async (t) => {
  const { app, close } = await buildTestApp()
  t.teardown(close)
  t.equal((await app.inject({ method: 'GET', url: '/v1/sources' })).statusCode, 200)
})

t.test('tokenMatcher accepts exactly the configured tokens', async (t) => {
  const matches = tokenMatcher(TOKENS)
  t.ok(matches(TOKENS[0]!))
  t.ok(matches(TOKENS[1]!))
  for (const candidate of ['', 'service-token-one-012345678', 'service-token-one-01234567890', TOKENS[0]!.toUpperCase()]) {
    t.notOk(matches(candidate), JSON.stringify(candidate))
  }
  t.notOk(tokenMatcher([])('anything'))
})
