/** Resume requests hold only what the configuration does not imply, and rebuild exactly (pure functions). */
import t from 'tap'
import fc from 'fast-check'
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

/**
 * The query changes of a followed URL as the URL API finds them (how the engine found them before issue
 * 16 made it read the text): the first URL with its params set, a change for each name that differs,
 * kept only when setting and deleting them on a copy of the first URL gives the target exactly.
 */
function changesByUrlApi (target: string, start: RequestSpec): Record<string, string | null> | undefined {
  const from = new URL(start.url)
  for (const [name, value] of Object.entries(start.params ?? {})) if (value !== null) from.searchParams.set(name, String(value))
  const to = new URL(target)
  if (from.origin !== to.origin || from.pathname !== to.pathname) return undefined
  const changes: Record<string, string | null> = {}
  for (const name of from.searchParams.keys()) if (!to.searchParams.has(name)) changes[name] = null
  for (const [name, value] of to.searchParams) if (from.searchParams.get(name) !== value) changes[name] = value
  const replayed = new URL(from)
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) replayed.searchParams.delete(name)
    else replayed.searchParams.set(name, value)
  }
  return replayed.href === to.href ? changes : undefined
}

t.test('a followed URL is stored as the query changes the URL API finds, and rebuilds exactly', async (t) => {
  const value = fc.oneof(fc.constantFrom('2', '100', 'a b', 'a+b', '~', 'é', '%', '&', '=', '#', ''), fc.string({ maxLength: 4 }))
  const name = fc.constantFrom('customers', 'limit', 'cursor', 'page', 'a b', 'é')
  const edit = fc.tuple(fc.constantFrom('set', 'append', 'delete'), name, value)
  const firstParams = fc.dictionary(name, fc.oneof(value, fc.constant(null)), { maxKeys: 3 })
  const path = fc.constantFrom('/customers', '/customers?', '/customers?x=1', '/customers?x=1&x=2', '/customers#f', '/customers/2', '/other')
  fc.assert(fc.property(firstParams, fc.array(edit, { maxLength: 4 }), path, path, (params, edits, from, to) => {
    const start: RequestSpec = { method: 'GET', url: `${BASE}${from}`, params }
    const url = new URL(`${BASE}${to}`)
    for (const [name, value] of Object.entries(params)) if (value !== null) url.searchParams.set(name, value)
    for (const [op, name, value] of edits) {
      if (op === 'set') url.searchParams.set(name, value)
      else if (op === 'append') url.searchParams.append(name, value)
      else url.searchParams.delete(name)
    }
    const next: RequestSpec = { method: 'GET', url: url.href }
    const state = encodeRequest(next, start, BASE)
    const rebuilt = decodeRequest(JSON.parse(JSON.stringify(state)), start, BASE, policy, bad)
    const expected = next.url === start.url ? undefined : changesByUrlApi(next.url, start)
    return rebuilt.url === next.url && rebuilt.params === undefined && JSON.stringify(state.q) === JSON.stringify(expected)
  }), { numRuns: 2000 })
  t.pass('2000 followed URLs')
})
