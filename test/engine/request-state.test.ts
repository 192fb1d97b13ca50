/** Resume requests hold only what the configuration does not imply, and rebuild exactly (pure functions). */
import t from 'tap'
import { decodeRequest, encodeRequest } from '../../src/engine/request-state.js'
import { BlockedTargetError, UnsupportedRequestError } from '../../src/errors.js'
import type { RequestSpec } from '../../src/engine/types.js'

const BASE = 'http://127.0.0.1:8000/demo-api'
const first: RequestSpec = { method: 'GET', url: `${BASE}/customers`, params: { customers: 2000, limit: 100, latency_ms: null } }
const policy = { allowedOrigins: new Set(['http://127.0.0.1:8000', 'https://uploads.example.com']) }
const bad = (): UnsupportedRequestError => new UnsupportedRequestError('bad state')
const roundTrip = (request: RequestSpec, base = BASE): RequestSpec => decodeRequest(JSON.parse(JSON.stringify(encodeRequest(request, first, base))), first, base, policy, bad)

t.test('a followed next link that only adds a cursor is stored as that change', async (t) => {
  const next: RequestSpec = { method: 'GET', url: `${BASE}/customers?customers=2000&limit=100&cursor=abc` }
  t.same(encodeRequest(next, first, BASE), { q: { cursor: 'abc' } })
  t.same(roundTrip(next), next)
})

t.test('a followed link that drops or changes params, or is not in canonical form, still rebuilds exactly', async (t) => {
  for (const url of [
    `${BASE}/customers?limit=50&cursor=a%20b`,
    `${BASE}/customers?cursor=abc&customers=2000&limit=100`,
    `${BASE}/customers?customers=2000&limit=100&cursor=a b`,
    `${BASE}/customers/2?customers=2000`,
    `${BASE}?x=1`,
    'https://uploads.example.com/next?page=2'
  ]) {
    const next: RequestSpec = { method: 'GET', url: new URL(url).href }
    t.same(roundTrip(next), next, url)
  }
  t.same(encodeRequest({ method: 'GET', url: `${BASE}/customers/2` }, first, BASE), { u: '/customers/2', p: null }, 'relative to the base URL')
})

t.test('param changes are stored as a delta; the origin is never stored for URLs under the base URL', async (t) => {
  const next: RequestSpec = { ...first, params: { ...first.params, cursor: 'xyz', limit: 100 } }
  t.same(encodeRequest(next, first, BASE), { p: { cursor: 'xyz' } })
  t.same(roundTrip(next), next)
  const moved = decodeRequest({ p: { cursor: 'xyz' } }, { ...first, url: 'http://127.0.0.1:9000/demo-api/customers' }, 'http://127.0.0.1:9000/demo-api',
    { allowedOrigins: new Set(['http://127.0.0.1:9000']) }, bad)
  t.equal(moved.url, 'http://127.0.0.1:9000/demo-api/customers', 'rebuilt on the new base URL')
  const posted: RequestSpec = { method: 'POST', url: first.url, json: { after: 'c1' }, headers: { 'x-page': '2' } }
  t.same(roundTrip(posted), posted)
})

t.test('decoding refuses malformed states and URLs outside the allowed origins', async (t) => {
  for (const state of [null, 'x', { u: 5 }, { m: 'DELETE' }, { p: { a: {} } }, { q: { a: 1 } }, { q: {}, u: '/x' }, { h: { a: 1 } }, { u: 'not a url' }]) {
    t.throws(() => decodeRequest(state, first, BASE, policy, bad), UnsupportedRequestError, JSON.stringify(state))
  }
  for (const u of ['http://127.0.0.1:8001/demo-api/customers', 'https://127.0.0.1:8000/x', 'http://169.254.169.254/latest']) {
    t.throws(() => decodeRequest({ u }, first, BASE, policy, bad), BlockedTargetError, u)
  }
  t.equal(decodeRequest({ u: '//evil.example/x' }, first, BASE, policy, bad).url, `${BASE}//evil.example/x`, 'a relative URL cannot change the authority')
})
