/**
 * Behaviour under pressure, through real TCP: a client that stops reading, a client that leaves, and
 * a service that shuts down while streams are in flight. Effects are counted at the upstream (pages
 * fetched), not timed.
 */
import t from 'tap'
import type { IncomingMessage } from 'node:http'
import { shutdown } from '../../src/server.js'
import { demoSource } from '../../src/sources/demo/source.js'
import { defineSource } from '../../src/sources/types.js'
import type { SyncLine } from '../../src/sync/lines.js'
import { checkLine, demoConfig, openStream, startHarness, sync, waitFor } from './helpers.js'

/** Collect complete lines from a response as they arrive. */
function lineReader (response: IncomingMessage): { lines: SyncLine[], bytes: () => number, ended: Promise<void> } {
  const lines: SyncLine[] = []
  let buffered = ''
  let bytes = 0
  response.setEncoding('utf8')
  response.on('data', (chunk: string) => {
    bytes += chunk.length
    buffered += chunk
    let nl = buffered.indexOf('\n')
    while (nl >= 0) {
      lines.push(JSON.parse(buffered.slice(0, nl)) as SyncLine)
      buffered = buffered.slice(nl + 1)
      nl = buffered.indexOf('\n')
    }
  })
  const ended = new Promise<void>((resolve) => { response.on('end', resolve); response.on('close', resolve) })
  return { lines, bytes: () => bytes, ended }
}

async function settle (count: () => number, quietMs = 300, timeoutMs = 5000): Promise<number> {
  const started = Date.now()
  let last = count()
  let since = Date.now()
  while (Date.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    if (count() !== last) { last = count(); since = Date.now() } else if (Date.now() - since >= quietMs) return last
  }
  return count()
}

t.test('a slow reader slows the upstream: pages fetched stay bounded while the client stalls', async (t) => {
  const h = await startHarness({ lookaheadPages: 2 })
  t.teardown(h.close)
  const PAGES = 150
  const { response } = await openStream(h, 'demo', { config: demoConfig(h, { rows: PAGES * 1000, page_size: 1000 }), schema: 'customers' })
  const pages = (): number => h.upstream.requests.length
  await new Promise<void>((resolve) => response.once('readable', resolve))
  response.pause()
  const stalled = await settle(pages)
  const later = await settle(pages, 500)
  t.equal(later, stalled, `no page is fetched while the client stalls (${stalled} of ${PAGES} pages fetched)`)
  t.ok(stalled < PAGES / 2, `the engine stopped far ahead of the end (${stalled} pages ≈ ${stalled} × 200 kB in socket buffers and look-ahead)`)

  // Reading again lets the sync finish: every row, then the end line.
  let records = 0
  let tail = ''
  response.setEncoding('utf8')
  response.on('data', (chunk: string) => {
    const text = tail + chunk
    const cut = text.lastIndexOf('\n')
    for (let i = text.indexOf('"type":"record"'); i >= 0 && i < cut; i = text.indexOf('"type":"record"', i + 1)) records++
    tail = text.slice(cut + 1)
    if (cut >= 0) lastLine = text.slice(text.lastIndexOf('\n', cut - 1) + 1, cut)
  })
  let lastLine = ''
  response.resume()
  await new Promise<void>((resolve) => response.on('end', resolve))
  t.equal(records, PAGES * 1000)
  t.match(JSON.parse(lastLine), { type: 'end', rows: PAGES * 1000 })
  t.equal(pages(), PAGES, 'each page fetched exactly once')
})

for (const schema of ['customers', 'customer_notes']) {
  t.test(`${schema}: a client that disconnects stops the upstream requests`, async (t) => {
    const h = await startHarness({ upstream: { latencyMs: 20 } })
    t.teardown(h.close)
    const { response, destroy } = await openStream(h, 'demo', { config: demoConfig(h, { rows: 100_000, page_size: 2 }), schema })
    const reader = lineReader(response)
    await waitFor(() => reader.lines.filter((l) => l.type === 'record').length >= 6)
    destroy()
    const atAbort = h.upstream.requests.length
    const after = await settle(() => h.upstream.requests.length, 300)
    // Without cancellation 300 ms of 20 ms pages would be ~15 more requests per lane.
    t.ok(after - atAbort <= 4, `at most the in-flight requests complete after the disconnect (${after - atAbort} more)`)
    t.ok(reader.lines.every((l) => checkLine.Check(l)))
    t.notOk(reader.lines.some((l) => l.type === 'end' || l.type === 'error'), 'a cut stream has no terminal line')
  })
}

t.test('shutdown ends in-flight syncs with a retryable error line carrying their last state, within the grace period', async (t) => {
  const h = await startHarness({ upstream: { latencyMs: 20 } })
  t.teardown(h.close)
  const streams = await Promise.all(['customers', 'orders'].map(async (schema) => {
    const { response } = await openStream(h, 'demo', { config: demoConfig(h, { rows: 100_000, page_size: 5 }), schema })
    return lineReader(response)
  }))
  await waitFor(() => streams.every((s) => s.lines.some((l) => l.type === 'state')))
  const closing = shutdown(h.app, 5_000)
  await Promise.all(streams.map(async (s) => await s.ended))
  for (const s of streams) {
    const last = s.lines.at(-1)
    const lastState = s.lines.filter((l) => l.type === 'state').at(-1)
    t.match(last, { type: 'error', code: 'SERVICE_UNAVAILABLE', retryable: true })
    t.equal(last?.type === 'error' ? last.state : undefined, lastState?.type === 'state' ? lastState.state : undefined)
    t.ok(s.lines.every((l) => checkLine.Check(l)))
  }
  await closing
  t.pass('the server closed after the streams ended')
})

t.test('no new sync starts once shutdown began', async (t) => {
  const h = await startHarness()
  t.teardown(h.close)
  h.app.lifecycle.beginShutdown()
  const result = await sync(h, 'demo', { config: demoConfig(h), schema: 'customers' })
  t.equal(result.status, 503)
  t.match(result.body, { code: 'SERVICE_UNAVAILABLE' })
})

t.test('shutdown while a client stalls: the error line is queued behind the rows it has not read yet', async (t) => {
  const h = await startHarness({ lookaheadPages: 2 })
  t.teardown(h.close)
  const { response } = await openStream(h, 'demo', { config: demoConfig(h, { rows: 100_000, page_size: 1000 }), schema: 'customers' })
  await new Promise<void>((resolve) => response.once('readable', resolve))
  response.pause()
  await settle(() => h.upstream.requests.length)
  const closing = shutdown(h.app, 10_000)
  const reader = lineReader(response)
  response.resume()
  await reader.ended
  await closing
  const last = reader.lines.at(-1)
  const lastState = reader.lines.filter((l) => l.type === 'state').at(-1)
  t.match(last, { type: 'error', code: 'SERVICE_UNAVAILABLE', retryable: true })
  t.equal(last?.type === 'error' ? last.state : undefined, lastState?.type === 'state' ? lastState.state : undefined)
  const rows = reader.lines.filter((l) => l.type === 'record').length
  t.equal(lastState?.type === 'state' ? lastState.rows : -1, rows, 'the last state covers every row sent')
})

t.test('a client that leaves while the sync is being prepared: nothing is fetched, nothing hangs', async (t) => {
  let prepared = (): void => {}
  const preparing = new Promise<void>((resolve) => { prepared = resolve })
  let entered = (): void => {}
  const entering = new Promise<void>((resolve) => { entered = resolve })
  const slowDemo = defineSource({
    ...demoSource,
    getSchemas: async (config, ctx) => {
      entered()
      await new Promise((resolve) => setTimeout(resolve, 300))
      prepared()
      return await demoSource.getSchemas(config, ctx)
    }
  })
  const h = await startHarness({ sources: [slowDemo], captureLogs: true })
  t.teardown(h.close)
  const controller = new AbortController()
  const request = fetch(`${h.url}/v1/sources/demo/sync`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ config: demoConfig(h, { rows: 10_000, page_size: 5 }), schema: 'customers' }),
    signal: controller.signal
  }).catch(() => undefined)
  // Leave once preparation has begun: a fixed delay can land before the handler on a loaded machine,
  // and then nothing is ever prepared.
  await entering
  controller.abort()
  await request
  await preparing
  const after = await settle(() => h.upstream.requests.length, 300)
  t.ok(after <= 1, `at most the first page was requested (${after})`)
  await waitFor(() => h.logs.some((l) => l.includes('"msg":"sync finished"')), 3000)
  t.match(JSON.parse(h.logs.find((l) => l.includes('"msg":"sync finished"')) ?? '{}'), { outcome: 'client_gone', rows: 0 }, 'the handler ended')
})
