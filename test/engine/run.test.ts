/** The page loop: loop detection, Sentry results flag, page caps, maxPages, cancellation, backpressure, bad state. */
import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Endpoint } from '../../src/engine/declarations.js'
import { AbortedError, UnsupportedRequestError } from '../../src/errors.js'
import { requestKey } from '../../src/engine/run.js'
import { startRestFake } from '../fakes/rest-fake.js'
import { collect, formsFake, numberedLinkFake, testRun, testServices } from './helpers.js'

const link: Endpoint = { name: 'items', primaryKeys: ['id'], path: '/a', paginator: { type: 'link_header' } }

t.test('a request key: declared params in any order are one request; method, URL, body and headers tell requests apart', async (t) => {
  const url = 'http://127.0.0.1:8/items?x=1'
  const key = requestKey({ method: 'GET', url, params: { b: 2, a: 'q', skip: null } })
  t.equal(requestKey({ method: 'GET', url, params: { a: 'q', b: 2 } }), key, 'param order and null params do not count')
  t.equal(requestKey({ method: 'GET', url: 'http://127.0.0.1:8/items?a=q&b=2&x=1' }), key, 'a followed URL naming the same query in sorted order')
  t.equal(requestKey({ method: 'GET', url, params: {} }), requestKey({ method: 'GET', url }), 'no params: the URL as written')
  const others = [
    requestKey({ method: 'POST', url, params: { a: 'q', b: 2 } }),
    requestKey({ method: 'GET', url, params: { a: 'q', b: 3 } }),
    requestKey({ method: 'GET', url: 'http://127.0.0.1:8/items?x=2', params: { a: 'q', b: 2 } }),
    requestKey({ method: 'GET', url, params: { a: 'q', b: 2 }, headers: { authorization: 'Bearer t' } }),
    requestKey({ method: 'POST', url, params: { a: 'q', b: 2 }, json: { page: 2 } })
  ]
  t.equal(new Set([key, ...others]).size, others.length + 1, 'each differs from the others')
})

t.test('a long request identity is digested; a short one is its own key', async (t) => {
  const short = requestKey({ method: 'GET', url: 'http://127.0.0.1:8/a?page=2' })
  const long = requestKey({ method: 'GET', url: `http://127.0.0.1:8/a?cursor=${'c'.repeat(300)}` })
  t.ok(short.startsWith('['), 'short: the identity')
  t.ok(long.length < 40 && !long.startsWith('['), 'long: a digest')
  t.not(long, requestKey({ method: 'GET', url: `http://127.0.0.1:8/a?cursor=${'c'.repeat(299)}d` }), 'digests tell long URLs apart')
})

t.test('cyclic (A→B→A) and repeated next links stop with a loop_detected event', async (t) => {
  const fake = await startRestFake({
    'GET /a': (_r, f) => ({ headers: { link: `<${f.url}/b>; rel="next"` }, json: [{ id: 'a' }] }),
    'GET /b': (_r, f) => ({ headers: { link: `<${f.url}/a>; rel="next"` }, json: [{ id: 'b' }] }),
    'GET /self': () => ({ headers: { link: '</self>; rel="next"' }, json: [{ id: 's' }] }),
    'GET /cursor': (req) => ({ json: { items: [{ id: req.query.get('c') ?? 'first' }], next: 'same' } })
  })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const run = testRun()
  const client = services.createClient({ source: 'L', baseUrl: fake.url, auth: { type: 'none' } }, run)
  t.same((await collect(client.pages(link))).rows.map((r) => r.id), ['a', 'b'])
  t.same((await collect(client.pages({ ...link, path: '/self' }))).rows.map((r) => r.id), ['s'])
  const cursor: Endpoint = { ...link, path: '/cursor', dataSelector: 'items', paginator: { type: 'cursor', cursorPath: 'next', param: 'c' } }
  t.same((await collect(client.pages(cursor))).rows.map((r) => r.id), ['first', 'same'])
  t.equal(fake.requests.length, 5)
  t.equal(run.events.filter((e) => e.event === 'loop_detected').length, 3)
  t.match(run.events[0], { level: 'warn', event: 'loop_detected', resource: 'items', url: `${fake.url}/a` })
})

t.test('Sentry results flag: results="false" stops; an empty page after results="true" stops', async (t) => {
  const fake = await startRestFake({
    'GET /issues/': (req, f) => {
      const cursor = req.query.get('cursor') ?? '0:0:0'
      const next = `<${f.url}/issues/?cursor=0:${cursor === '0:0:0' ? 100 : 200}:0>; rel="next"; results="true"; cursor="x"`
      const prev = `<${f.url}/issues/?cursor=0:0:1>; rel="previous"; results="false"; cursor="y"`
      return { headers: { link: `${prev}, ${next}` }, json: cursor === '0:200:0' ? [] : [{ id: cursor }] }
    },
    'GET /done/': (_req, f) => ({ headers: { link: `<${f.url}/done/?cursor=1>; rel="next"; results="false"` }, json: [{ id: 1 }] })
  })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'Sentry', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const sentry: Endpoint = { ...link, path: '/issues/', paginator: { type: 'link_header', stopWhen: { attribute: 'results', value: 'false' } } }
  const { rows, pages } = await collect(client.pages(sentry))
  t.same(rows.map((r) => r.id), ['0:0:0', '0:100:0'])
  t.equal(pages.at(-1)?.state, null)
  t.equal(fake.hits('/issues/').length, 3, 'the empty page is the last request')
  t.same((await collect(client.pages({ ...sentry, path: '/done/' }))).rows, [{ id: 1 }])
  t.equal(fake.hits('/done/').length, 1)
})

const endless = async () => await startRestFake({
  'GET /endless': async (req) => {
    await new Promise((resolve) => setTimeout(resolve, 20))
    return { json: [{ id: Number(req.query.get('page')) }] }
  }
})
const endlessEndpoint: Endpoint = { name: 'endless', primaryKeys: ['id'], path: '/endless', paginator: { type: 'page_number', pageParam: 'page' } }

t.test('page cap: stops with an event, never silently', async (t) => {
  const fake = await endless()
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const run = testRun()
  const client = services.createClient({ source: 'E', baseUrl: fake.url, auth: { type: 'none' } }, run)
  const { rows, pages } = await collect(client.pages({ ...endlessEndpoint, pageCap: 3 }))
  t.equal(rows.length, 3)
  t.equal(pages.at(-1)?.state, null)
  t.match(run.events, [{ level: 'warn', event: 'page_cap_reached', resource: 'endless', pageCap: 3, pages: 3 }])
  const preview = await collect(client.pages(endlessEndpoint, { maxPages: 2 }))
  t.equal(preview.rows.length, 2, 'maxPages')
  t.not(preview.pages.at(-1)?.state, null, 'a preview can be resumed')
})

t.test('a cancelled run sends no further requests and cancels queued limiter jobs', async (t) => {
  const fake = await endless()
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const controller = new AbortController()
  const client = services.createClient({ source: 'E', baseUrl: fake.url, auth: { type: 'none' } }, testRun(controller.signal))
  const seen: number[] = []
  const consume = (async () => {
    for await (const page of client.pages(endlessEndpoint)) {
      seen.push(...page.rows.map((r) => r.id as number))
      if (seen.length === 3) controller.abort()
    }
  })()
  await t.rejects(consume, AbortedError)
  const sent = fake.requests.length
  await new Promise((resolve) => setTimeout(resolve, 150))
  t.equal(fake.requests.length, sent, 'no request after the abort')
  t.ok(sent <= 5, `at most a bounded look-ahead was in flight (${sent})`)

  const queued = new AbortController()
  // Cancelled while the first request is at the upstream (not after a fixed delay: under load it may not be there yet).
  const slow = await startRestFake({ 'GET /slow': async () => { queued.abort(); await new Promise((resolve) => setTimeout(resolve, 100)); return { json: {} } } })
  t.teardown(async () => { await slow.close() })
  const limited = services.createClient({ source: 'Q', baseUrl: slow.url, auth: { type: 'none' }, budgets: { default: { maxConcurrent: 1 } } }, testRun(queued.signal))
  const calls = Array.from({ length: 5 }, async () => await limited.request({ method: 'GET', path: '/slow' }))
  const results = await Promise.allSettled(calls)
  t.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof AbortedError), 'every call rejects with AbortedError')
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(slow.requests.length, 1, 'only the in-flight request reached the upstream')
})

t.test('backpressure: a stalled consumer stops the engine after a bounded look-ahead', async (t) => {
  const fake = await endless()
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'E', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const iterator = client.pages(endlessEndpoint)[Symbol.asyncIterator]()
  await iterator.next()
  await new Promise((resolve) => setTimeout(resolve, 250))
  const sent = fake.requests.length
  t.ok(sent <= 3, `fetched ${sent} pages for a consumer that read one`)
  await iterator.return?.()
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(fake.requests.length, sent, 'nothing more after return()')
})

const formsEndpoint: Endpoint = { name: 'forms', primaryKeys: ['id'], path: '/forms', dataSelector: 'items', paginator: { type: 'page_number', pageParam: 'page', totalPagesPath: 'page_count' } }

t.test('page_number with a known page count fetches concurrently and emits in order', async (t) => {
  const fake = await formsFake(6, (page) => page === 2 ? 60 : 10)
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'T', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const { rows } = await collect(client.pages(formsEndpoint))
  t.same(rows.map((r) => r.id), [1, 2, 3, 4, 5, 6])
  t.ok(fake.peak() >= 2, `pages overlapped (peak ${fake.peak()})`)
  t.equal(fake.requests.length, 6)
})

t.test('a resume state from another table or a tampered one is refused', async (t) => {
  const services = testServices()
  t.teardown(async () => { await services.close() })
  const client = services.createClient({ source: 'E', baseUrl: 'http://127.0.0.1:9', auth: { type: 'none' } }, testRun())
  await t.rejects(collect(client.pages(endlessEndpoint, { resumeState: { v: 1, fanout: { parentIndex: 0 } } })), UnsupportedRequestError)
  await t.rejects(collect(client.pages(endlessEndpoint, { resumeState: { v: 2, request: {} } })), UnsupportedRequestError)
  await t.rejects(collect(client.pages(endlessEndpoint, { resumeState: { v: 1, request: { method: 'GET', url: 'http://127.0.0.1:9/' } } })), UnsupportedRequestError, 'version 1 states are refused')
  await t.rejects(collect(client.pages(endlessEndpoint, { resumeState: { v: 2, next: { u: 'http://169.254.169.254/latest' } } })),
    { code: 'UPSTREAM_TARGET_BLOCKED', origin: 'http://169.254.169.254' }, 'a URL outside the allowed origins, before any connection')
  await t.rejects(collect(client.pages(endlessEndpoint, { resumeState: { v: 2, next: { u: 42 } } })), UnsupportedRequestError)
})

t.test('no MaxListenersExceededWarning on the run signal with known pages 6 in flight (with and without a budget)', async (t) => {
  const fake = await formsFake(30, () => 20)
  const warnings: string[] = []
  const onWarning = (warning: Error): void => { if (warning.name === 'MaxListenersExceededWarning') warnings.push(warning.message) }
  process.on('warning', onWarning)
  const services = testServices()
  t.teardown(async () => { process.off('warning', onWarning); await services.close(); await fake.close() })
  for (const budgets of [undefined, { default: { maxConcurrent: 6, reservoir: 1000, intervalMs: 1000 } }]) {
    const client = services.createClient({ source: 'W', baseUrl: fake.url, auth: { type: 'none' }, ...(budgets === undefined ? {} : { budgets }) }, testRun())
    const { rows } = await collect(client.pages(formsEndpoint))
    t.equal(rows.length, 30)
  }
  t.ok(fake.peak() >= 6, `6 pages in flight (peak ${fake.peak()})`)
  // Warnings are emitted on the next tick.
  await new Promise((resolve) => setImmediate(resolve))
  t.same(warnings, [], 'no listener warning')
})

t.test('Link pages are pipelined: the next request starts on arrival, before the page is taken; an empty page still stops', async (t) => {
  const fake = await startRestFake({
    'GET /p': async (req, f) => {
      // Latency worth hiding (at least PIPELINE_MIN_LATENCY_MS).
      await new Promise((resolve) => setTimeout(resolve, 10))
      const page = Number(req.query.get('page') ?? '1')
      // Pages 1–4 hold a row; page 5 is empty but still links on (the empty page stops the loop).
      return { headers: { link: `<${f.url}/p?page=${page + 1}>; rel="next"` }, json: page < 5 ? [{ id: page }] : [] }
    }
  })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'P', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const iterator = client.pages({ ...link, path: '/p' })[Symbol.asyncIterator]()
  t.same((await iterator.next()).value?.rows, [{ id: 1 }])
  // Held at page 1: the look-ahead holds page 2, and page 2's arrival already started page 3.
  for (let i = 0; i < 200 && fake.hits('/p').length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  t.same(fake.hits('/p').map((r) => r.query.get('page') ?? '1'), ['1', '2', '3'], 'page 3 requested while the consumer holds page 1')
  const rest: unknown[] = []
  for (let step = await iterator.next(); step.done !== true; step = await iterator.next()) rest.push(...step.value.rows)
  t.same(rest, [{ id: 2 }, { id: 3 }, { id: 4 }])
  t.ok(fake.hits('/p').length <= 6, 'at most one request past the empty page, and it is abandoned')
})

t.test('a pipelined page starts when the headers arrive, while the body is still coming', async (t) => {
  const order: string[] = []
  let releaseFirst: () => void = () => undefined
  const server = createServer((req, res) => {
    const page = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('page') ?? '1'
    order.push(`request ${page}`)
    if (page === '2') {
      releaseFirst()
      // Latency worth hiding, then the empty page that ends the walk.
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('[]'), 10)
      return
    }
    setTimeout(() => {
      const { port } = server.address() as AddressInfo
      res.writeHead(200, { 'content-type': 'application/json', link: `<http://127.0.0.1:${port}/p?page=2>; rel="next"` })
      res.write('[{"id":1}')
      // The rest of page 1 waits for page 2's request (at most 5 s, so a regression fails instead of hanging).
      const fallback = setTimeout(() => releaseFirst(), 5000)
      releaseFirst = () => { clearTimeout(fallback); order.push('page 1 body ends'); res.end(']') }
    }, 10)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const services = testServices()
  t.teardown(async () => { await services.close(); await new Promise((resolve) => server.close(resolve)) })
  const { port } = server.address() as AddressInfo
  const client = services.createClient({ source: 'P', baseUrl: `http://127.0.0.1:${port}`, auth: { type: 'none' } }, testRun())
  t.same((await collect(client.pages({ ...link, path: '/p' }))).rows, [{ id: 1 }])
  t.same(order, ['request 1', 'request 2', 'page 1 body ends'], 'page 2 was requested before page 1 had been read')
})

t.test('link_header knownPages: the pages between next and last overlap upstream and are emitted in order', async (t) => {
  const fake = await numberedLinkFake(8, (page) => page === 3 ? 60 : 15)
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'G', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const endpoint: Endpoint = { ...link, path: '/issues', pageSize: { param: 'per_page', value: 1 }, paginator: { type: 'link_header', lastPageParam: 'page', knownPages: true } }
  const { rows, pages } = await collect(client.pages(endpoint))
  t.same(rows.map((r) => r.id), [1, 2, 3, 4, 5, 6, 7, 8], 'every page once, in order')
  t.ok(fake.answered.indexOf(3) > fake.answered.indexOf(4), `page 3 answered after page 4 (${fake.answered.join(',')})`)
  t.equal(fake.requests.length, 8)
  t.ok(fake.peak() >= 2, `pages overlapped (peak ${fake.peak()})`)
  t.same(pages.map((p) => p.progress?.totalPages), [8, 8, 8, 8, 8, 8, 8, 8], 'the last link still gives the page count')
  const run = testRun()
  const capped = services.createClient({ source: 'G', baseUrl: fake.url, auth: { type: 'none' } }, run)
  const before = fake.requests.length
  t.same((await collect(capped.pages({ ...endpoint, pageCap: 3 }))).rows.map((r) => r.id), [1, 2, 3])
  t.equal(fake.requests.length - before, 3, 'a known run is not fetched past the page cap')
  t.match(run.events, [{ event: 'page_cap_reached', pageCap: 3, pages: 3 }])
  // A state taken under a higher cap, resumed under a lower one: one page, then the cap is reported.
  const state = (await collect(capped.pages({ ...endpoint, pageCap: 6 }))).pages[3]?.state
  const lowered = testRun()
  const resumed = await collect(services.createClient({ source: 'G', baseUrl: fake.url, auth: { type: 'none' } }, lowered).pages({ ...endpoint, pageCap: 2 }, { resumeState: JSON.parse(JSON.stringify(state)) }))
  t.same(resumed.rows.map((r) => r.id), [5])
  t.equal(resumed.pages.at(-1)?.state, null)
  t.match(lowered.events, [{ event: 'page_cap_reached', pageCap: 2 }])
})

t.test('known pages beyond each loop\'s first share the replica\'s pool: many runs at once do not multiply them', async (t) => {
  const fake = await numberedLinkFake(6, () => 15)
  const services = testServices({ knownPagesInFlight: 1 })
  t.teardown(async () => { await services.close(); await fake.close() })
  const endpoint: Endpoint = { ...link, path: '/issues', pageSize: { param: 'per_page', value: 1 }, paginator: { type: 'link_header', lastPageParam: 'page', knownPages: true } }
  const read = async (): Promise<unknown[]> => (await collect(services.createClient({ source: 'G', baseUrl: fake.url, auth: { type: 'none' } }, testRun()).pages(endpoint))).rows.map((r) => r.id)
  const all = await Promise.all([read(), read(), read()])
  t.same(all, [[1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6]])
  t.ok(fake.peak() <= 4, `three loops' own requests plus the one pooled slot at most (peak ${fake.peak()})`)
  fake.resetPeak()
  t.same(await read(), [1, 2, 3, 4, 5, 6])
  t.equal(fake.peak(), 2, 'the slot came back: a run alone overlaps again')
  // A consumer that stops in the middle of a run gives its slot back too.
  for await (const page of services.createClient({ source: 'G', baseUrl: fake.url, auth: { type: 'none' } }, testRun()).pages(endpoint)) if (page.rows.length > 0) break
  await new Promise((resolve) => setTimeout(resolve, 50))
  fake.resetPeak()
  t.same(await read(), [1, 2, 3, 4, 5, 6])
  t.equal(fake.peak(), 2, 'after a run left in the middle, a run alone overlaps again')
})

t.test('a known run with no slot free is read one page at a time, still pipelined; a preview (maxPages) fetches no run ahead', async (t) => {
  const fake = await numberedLinkFake(6, () => 15)
  const services = testServices({ knownPagesInFlight: 0 })
  t.teardown(async () => { await services.close(); await fake.close() })
  const endpoint: Endpoint = { ...link, path: '/issues', pageSize: { param: 'per_page', value: 1 }, paginator: { type: 'link_header', lastPageParam: 'page', knownPages: true } }
  const client = services.createClient({ source: 'G', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  t.same((await collect(client.pages(endpoint))).rows.map((r) => r.id), [1, 2, 3, 4, 5, 6])
  t.equal(fake.peak(), 1, 'no slot: the run is not fetched ahead')
  t.equal(fake.requests.length, 6)
  const wide = testServices()
  t.teardown(async () => { await wide.close() })
  const before = fake.requests.length
  const preview = await collect(wide.createClient({ source: 'G', baseUrl: fake.url, auth: { type: 'none' } }, testRun()).pages(endpoint, { maxPages: 1 }))
  t.same(preview.rows.map((r) => r.id), [1])
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.ok(fake.requests.length - before <= 3, `a one-page preview: the page, the look-ahead and a pipelined one at most (${fake.requests.length - before})`)
})

t.test('a known run held back (no slot free) still starts its next page when the headers arrive', async (t) => {
  const order: string[] = []
  let releaseSecond: () => void = () => undefined
  const server = createServer((req, res) => {
    const page = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('page') ?? '1'
    order.push(`request ${page}`)
    const { port } = server.address() as AddressInfo
    const at = (n: number, rel: string): string => `<http://127.0.0.1:${port}/p?page=${n}>; rel="${rel}"`
    if (page === '3') { releaseSecond(); setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('[{"id":3}]'), 10); return }
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json', link: `${at(Number(page) + 1, 'next')}, ${at(3, 'last')}` })
      if (page === '1') { res.end('[{"id":1}]'); return }
      res.write('[{"id":2}')
      // The rest of page 2 waits for page 3's request (at most 5 s, so a regression fails instead of hanging).
      const fallback = setTimeout(() => releaseSecond(), 5000)
      releaseSecond = () => { clearTimeout(fallback); order.push('page 2 body ends'); res.end(']') }
    }, 10)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const services = testServices({ knownPagesInFlight: 0 })
  t.teardown(async () => { await services.close(); await new Promise((resolve) => server.close(resolve)) })
  const { port } = server.address() as AddressInfo
  const client = services.createClient({ source: 'P', baseUrl: `http://127.0.0.1:${port}`, auth: { type: 'none' } }, testRun())
  const endpoint: Endpoint = { ...link, path: '/p', paginator: { type: 'link_header', lastPageParam: 'page', knownPages: true } }
  t.same((await collect(client.pages(endpoint))).rows.map((r) => r.id), [1, 2, 3])
  t.same(order, ['request 1', 'request 2', 'request 3', 'page 2 body ends'], 'page 3 was requested before page 2 had been read')
})
