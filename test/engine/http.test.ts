/** SSRF guard wiring, trusted origins, connect-time address checks and redirect rules, all on loopback. */
import t from 'tap'
import type { lookup } from 'node:dns'
import { Agent } from 'undici'
import { BlockedTargetError } from '../../src/errors.js'
import { createEngineServices } from '../../src/engine/services.js'
import { exchange, type Transport } from '../../src/engine/http.js'
import { startRestFake } from '../fakes/rest-fake.js'
import { startBystander } from '../helpers/connection-counter.js'
import { collect, FAST_RETRY, testRun, testServices } from './helpers.js'

t.test('loopback is refused unless private upstreams are allowed or the origin is trusted', async (t) => {
  const fake = await startRestFake({ 'GET /ping': () => ({ json: { ok: true } }) })
  const other = await startRestFake({ 'GET /ping': () => ({ json: { ok: true } }) })
  const strict = createEngineServices({ retry: FAST_RETRY })
  const trusted = createEngineServices({ retry: FAST_RETRY, trustedOrigins: [fake.url] })
  t.teardown(async () => { await strict.close(); await trusted.close(); await fake.close(); await other.close() })

  const blocked = strict.createClient({ source: 'X', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  await t.rejects(blocked.request({ method: 'GET', path: '/ping' }), BlockedTargetError)
  t.equal(fake.requests.length, 0, 'nothing was sent')

  const viaTrusted = trusted.createClient({ source: 'Demo', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  t.equal((await viaTrusted.request({ method: 'GET', path: '/ping' })).status, 200)
  const notTrusted = trusted.createClient({ source: 'Demo', baseUrl: other.url, auth: { type: 'none' } }, testRun())
  await t.rejects(notTrusted.request({ method: 'GET', path: '/ping' }), BlockedTargetError, 'only the exact origin')
  t.equal(other.requests.length, 0)

  const named = strict.createClient({ source: 'X', baseUrl: fake.url.replace('127.0.0.1', 'localhost'), auth: { type: 'none' } }, testRun())
  await t.rejects(named.request({ method: 'GET', path: '/ping' }), BlockedTargetError)
})

t.test('a hostname resolving to loopback is refused at connect time (checking lookup in undici)', async (t) => {
  const fake = await startRestFake({ 'GET /ping': () => ({ json: { ok: true } }) })
  let resolved = 0
  const dnsLookup = ((_host: string, _opts: unknown, cb: (e: null, a: Array<{ address: string, family: number }>) => void) => {
    resolved++
    cb(null, [{ address: '127.0.0.1', family: 4 }])
  }) as unknown as typeof lookup
  const services = createEngineServices({ retry: FAST_RETRY, dnsLookup })
  t.teardown(async () => { await services.close(); await fake.close() })
  const port = new URL(fake.url).port
  const client = services.createClient({ source: 'X', baseUrl: `http://rebind.test:${port}`, auth: { type: 'none' } }, testRun())
  await t.rejects(client.request({ method: 'GET', path: '/ping' }), BlockedTargetError)
  t.ok(resolved >= 1, 'the connect used the checking lookup')
  t.equal(fake.requests.length, 0)
})

t.test('next links and redirects to another host are refused', async (t) => {
  const fake = await startRestFake({
    'GET /items': (_req, f) => ({ headers: { link: `<${f.url.replace('127.0.0.1', 'localhost')}/items?page=2>; rel="next"` }, json: [{ id: 1 }] }),
    'GET /jump': (_req, f) => ({ status: 302, headers: { location: `${f.url.replace('127.0.0.1', 'localhost')}/ping` } })
  })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'X', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const pages = client.pages({ name: 'items', primaryKeys: ['id'], path: '/items', paginator: { type: 'link_header' } })
  await t.rejects((async () => { for await (const _ of pages) { /* drain */ } })(), { code: 'UPSTREAM_TARGET_BLOCKED', retryable: false, origin: `http://localhost:${new URL(fake.url).port}` })
  await t.rejects(client.request({ method: 'GET', path: '/jump' }), BlockedTargetError)
  t.equal(fake.requests.length, 2)
})

t.test('redirects: same origin keeps credentials, another allowed origin drops them, 303 becomes GET', async (t) => {
  const target = await startRestFake({ 'GET /landing': (req) => ({ json: { auth: req.headers.authorization ?? null } }) })
  const fake = await startRestFake({
    'GET /old': () => ({ status: 301, headers: { location: '/new' } }),
    'GET /new': (req) => ({ json: { auth: req.headers.authorization ?? null } }),
    'GET /away': () => ({ status: 307, headers: { location: `${target.url}/landing` } }),
    'POST /submit': () => ({ status: 303, headers: { location: '/new' } })
  })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close(); await target.close() })
  const client = services.createClient({ source: 'X', baseUrl: fake.url, allowedOrigins: [fake.url, target.url], auth: { type: 'bearer', token: 'secret-redirect-token' } }, testRun())
  t.same((await client.request({ method: 'GET', path: '/old' })).body, { auth: 'Bearer secret-redirect-token' })
  const away = await client.request({ method: 'GET', path: '/away' })
  t.same(away.body, { auth: null }, 'no credentials to another origin')
  t.equal(away.url, `${target.url}/landing`)
  const posted = await client.request({ method: 'POST', path: '/submit', json: { a: 1 } })
  t.same(posted.body, { auth: 'Bearer secret-redirect-token' })
  t.equal(fake.hits('/new').at(-1)?.method, 'GET')
})

t.test('a query API key follows same-origin redirects only', async (t) => {
  const target = await startRestFake({ 'GET /landing': (req) => ({ json: { key: req.query.get('key') } }) })
  const fake = await startRestFake({
    'GET /old': () => ({ status: 302, headers: { location: '/new?x=1' } }),
    'GET /new': (req) => ({ json: { key: req.query.get('key'), x: req.query.get('x') } }),
    'GET /away': () => ({ status: 302, headers: { location: `${target.url}/landing` } })
  })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close(); await target.close() })
  const client = services.createClient({ source: 'X', baseUrl: fake.url, allowedOrigins: [fake.url, target.url], auth: { type: 'api_key', name: 'key', key: 'qkey-123456', in: 'query' } }, testRun())
  t.same((await client.request({ method: 'GET', path: '/old' })).body, { key: 'qkey-123456', x: '1' })
  t.same((await client.request({ method: 'GET', path: '/away' })).body, { key: null })
})

t.test('credentials stay on their origin: next links, redirects and resume states naming another port never connect', async (t) => {
  const bystander = await startBystander()
  const other = `${bystander.url}/items?page=2`
  const fake = await startRestFake({
    'GET /items': () => ({ headers: { link: `<${other}>; rel="next"` }, json: [{ id: 1 }] }),
    'GET /cursor': () => ({ json: { data: [{ id: 1 }], next: other } }),
    'GET /jump': () => ({ status: 302, headers: { location: other } }),
    'GET /jump307': () => ({ status: 307, headers: { location: other } })
  })
  // Private upstreams allowed: only the origin check stands between the token and the other port.
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close(); await bystander.close() })
  const run = testRun()
  const client = services.createClient({ source: 'X', baseUrl: fake.url, auth: { type: 'bearer', token: 'secret-origin-token' } }, run)
  const blocked = { code: 'UPSTREAM_TARGET_BLOCKED', retryable: false, origin: bystander.url }
  await t.rejects(collect(client.pages({ name: 'items', primaryKeys: ['id'], path: '/items', paginator: { type: 'link_header' } })), blocked, 'Link header next')
  await t.rejects(collect(client.pages({ name: 'c', primaryKeys: ['id'], path: '/cursor', dataSelector: 'data', paginator: { type: 'next_url', path: 'next' } })), blocked, 'body next URL')
  await t.rejects(client.request({ method: 'GET', path: '/jump' }), blocked, '302')
  await t.rejects(client.request({ method: 'GET', path: '/jump307' }), blocked, '307')
  await t.rejects(collect(client.pages({ name: 'items', primaryKeys: ['id'], path: '/items', paginator: { type: 'link_header' } },
    { resumeState: { v: 2, next: { u: other }, pages: 1 } })), blocked, 'resume state')
  await t.rejects(client.request({ method: 'GET', path: other }), blocked, 'an absolute path')
  t.equal(bystander.connections(), 0, 'the other port saw no connection')
  t.same(bystander.authorizations(), [])
  t.notOk(run.logs.join('\n').includes('secret-origin-token'), 'the token is in no log line')
})

t.test('https never downgrades: a redirect to http is refused even when that origin is allowed', async (t) => {
  const bystander = await startBystander()
  t.teardown(bystander.close)
  // No TLS listener needed: the https hop is answered by a stub dispatcher; an http hop would be real.
  const agent = new Agent()
  t.teardown(async () => { await agent.close() })
  const transport = {
    policy: { allowedOrigins: new Set(['https://127.0.0.1:1', bystander.url]), allowPrivate: true, trustedOrigins: new Set<string>() },
    guarded: undefined as never,
    open: {
      request: async (options: { origin: string }) => options.origin.startsWith('https:')
        ? { statusCode: 302, headers: { location: `${bystander.url}/x` }, body: { dump: async () => undefined, text: async () => '' } }
        : await agent.request(options as never)
    } as never,
    headersTimeoutMs: 1000,
    bodyTimeoutMs: 1000
  }
  await t.rejects(exchange(transport, { method: 'GET', url: new URL('https://127.0.0.1:1/start'), headers: { authorization: 'Bearer t' }, credentialHeaders: new Set(['authorization']) },
    new AbortController().signal), { code: 'UPSTREAM_TARGET_BLOCKED', origin: bystander.url })
  t.equal(bystander.connections(), 0)
})

/** A transport to one loopback fake, through one agent, for exchange() alone. */
function loopbackTransport (origin: string, agent: Agent): Transport {
  return {
    policy: { allowedOrigins: new Set([origin]), allowPrivate: true, trustedOrigins: new Set<string>() },
    guarded: agent,
    open: agent,
    headersTimeoutMs: 5000,
    bodyTimeoutMs: 5000
  }
}

t.test('exchange: beforeBody is waited on after the headers and before the body is read (a turn taken first)', async (t) => {
  const rows = Array.from({ length: 2000 }, (_, i) => ({ id: i, text: 'x'.repeat(200) }))
  const fake = await startRestFake({ 'GET /big': () => ({ json: rows }) })
  const agent = new Agent()
  t.teardown(async () => { await agent.close(); await fake.close() })
  const transport = loopbackTransport(fake.url, agent)
  const order: string[] = []
  let release: () => void = () => undefined
  const turn = new Promise<void>((resolve) => { release = resolve })
  const pending = exchange(transport, { method: 'GET', url: new URL(`${fake.url}/big`), headers: {}, credentialHeaders: new Set() }, new AbortController().signal,
    () => { order.push('headers') }, () => { order.push('turn asked'); return turn })
  let settled = false
  void pending.then(() => { settled = true })
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.same(order, ['headers', 'turn asked'])
  t.notOk(settled, 'the body is not read while the turn is pending')
  release()
  const response = await pending
  t.equal(response.status, 200)
  t.same(JSON.parse(response.text), rows, 'the whole body once the turn came (about 440 KB, held in the socket meanwhile)')
})

t.test('exchange: the body is decoded as UTF-8 without a byte-order mark, and its bytes come along', async (t) => {
  const fake = await startRestFake({
    'GET /bom': () => ({ text: '\ufeff[{"name":"Crème"}]' }),
    'GET /plain': () => ({ text: '[{"name":"plain"}]' }),
    'GET /empty': () => ({ text: '' })
  })
  const agent = new Agent()
  t.teardown(async () => { await agent.close(); await fake.close() })
  const transport = loopbackTransport(fake.url, agent)
  const get = async (path: string) => await exchange(transport, { method: 'GET', url: new URL(`${fake.url}${path}`), headers: {}, credentialHeaders: new Set() }, new AbortController().signal)
  const bom = await get('/bom')
  t.equal(bom.text, '[{"name":"Crème"}]', 'the mark dropped, as undici text() drops it')
  t.same(bom.bytes, Buffer.from('[{"name":"Crème"}]', 'utf8'), 'the bytes without the mark')
  const plain = await get('/plain')
  t.equal(plain.text, '[{"name":"plain"}]')
  t.same(plain.bytes, Buffer.from(plain.text))
  const empty = await get('/empty')
  t.equal(empty.text, '')
  t.equal(empty.bytes?.length, 0)
})
