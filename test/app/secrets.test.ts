/**
 * Secret hygiene: a canary credential sent through every route, in every way a client can get it
 * wrong, never comes back in a response body or header and never reaches a log line.
 */
import type { InjectOptions } from 'fastify'
import t from 'tap'
import { buildTestApp, GOOD_TOKEN } from '../routes/fixtures.js'

const CANARY = 'canary-7d3f9b2e-secret-value'
const SERVICE_TOKEN = 'canary-service-token-4f1a8c'

t.test('a canary secret never appears in a response or a log line', async (t) => {
  const { app, logs, close } = await buildTestApp({ API_TOKENS: [SERVICE_TOKEN] })
  t.teardown(close)
  const auth = { authorization: `Bearer ${SERVICE_TOKEN}` }
  const json = { ...auth, 'content-type': 'application/json' }
  const requests: InjectOptions[] = [
    // the canary as a credential the upstream rejects, and as a good one's neighbour
    { method: 'POST', url: '/v1/sources/acme/validate', headers: auth, payload: { config: { api_key: CANARY } } },
    { method: 'POST', url: '/v1/sources/acme/validate', headers: auth, payload: { config: { api_key: GOOD_TOKEN, proxy: { enabled: true, proxy_password: CANARY } } } },
    { method: 'POST', url: '/v1/sources/acme/schemas', headers: auth, payload: { config: { api_key: CANARY } } },
    { method: 'POST', url: '/v1/sources/acme/schemas', headers: auth, payload: { config: { api_key: GOOD_TOKEN, region: 'eu', proxy: { enabled: true, proxy_password: CANARY } } } },
    // invalid configs holding the canary in the bad field and next to it
    { method: 'POST', url: '/v1/sources/acme/validate', headers: auth, payload: { config: { api_key: [CANARY] } } },
    { method: 'POST', url: '/v1/sources/acme/validate', headers: auth, payload: { config: { api_key: CANARY, page_size: CANARY, region: CANARY } } },
    { method: 'POST', url: '/v1/sources/acme/validate', headers: auth, payload: { config: { api_key: { value: CANARY } } } },
    { method: 'POST', url: '/v1/sources/acme/validate', headers: auth, payload: { config: { proxy: { enabled: CANARY } } } },
    { method: 'POST', url: '/v1/sources/acme/validate', headers: auth, payload: { credentials: { api_key: CANARY } } },
    { method: 'POST', url: '/v1/sources/acme/validate', headers: json, payload: `{"config":{"api_key":"${CANARY}"` },
    { method: 'POST', url: '/v1/sources/acme/validate', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, payload: `api_key=${CANARY}` },
    // the canary as the service token of a caller who gets it wrong
    { method: 'GET', url: '/v1/sources', headers: { authorization: `Bearer ${CANARY}` } },
    { method: 'GET', url: '/v1/sources', headers: { authorization: CANARY } }
  ]
  for (const request of requests) {
    const response = await app.inject(request)
    t.ok(response.statusCode >= 200, `${String(request.url)} → ${response.statusCode}`)
    t.notOk(response.body.includes(CANARY), 'not in the body')
    t.notOk(JSON.stringify(response.headers).includes(CANARY), 'not in a header')
  }
  t.ok(logs.length > requests.length, 'requests were logged')
  t.ok(logs.some((l) => l.includes('"msg":"checking credentials"') && l.includes('[REDACTED]')), 'the source logged its config, redacted')
  t.ok(logs.some((l) => l.includes('request failed')), 'the 5xx was logged')
  const leaking = logs.filter((l) => l.includes(CANARY) || l.includes(SERVICE_TOKEN))
  t.same(leaking, [], 'no log line holds the canary or the service token')
})
