/**
 * Run by text-pages-gc.test.ts in a child started with --expose-gc. It reads PAGES text pages of
 * ~300 KB (large objects in V8) from a loopback fake through the engine, dropping each page once read,
 * and prints how much the heap grew meanwhile, after two young-generation collections but no full one
 * (a run during which V8 ran one is done again, up to five times). A page text nobody holds dies in the young generation; one some old object still points
 * to is promoted and shows here. Arguments: `bare` or `wrapped` (rows in the body's `data`), then `drop`
 * or `hold` (keep every page: the check that the probe sees retention).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { constants, PerformanceObserver } from 'node:perf_hooks'
import { getHeapStatistics } from 'node:v8'
import type { Endpoint } from '../../../src/engine/declarations.js'
import { rawRowsOf } from '../../../src/engine/raw-rows.js'
import type { Page } from '../../../src/engine/types.js'
import { testRun, testServices } from '../helpers.js'

const PAGES = 80
const ROWS = 600
const gc = (globalThis as { gc?: (options?: { type: 'major' | 'minor' }) => void }).gc
if (gc === undefined) throw new Error('run with --expose-gc')

const [name = 'bare', mode = 'drop'] = process.argv.slice(2)
const wrapped = name === 'wrapped'
// The bodies are built before the count starts, as buffers (outside the JS heap), so the fake adds nothing to it.
const bodies = Array.from({ length: PAGES }, (_, p) => {
  const rows = Array.from({ length: ROWS }, (_, i) => ({ id: p * ROWS + i, title: `row ${i} of page ${p + 1}`, body: 'x'.repeat(440) }))
  return Buffer.from(JSON.stringify(wrapped ? { object: 'list', data: rows, has_more: p + 1 < PAGES } : rows))
})
const server = createServer((req, res) => {
  const page = Number(new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('page') ?? '1')
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (page < PAGES) headers.link = `</items?page=${page + 1}>; rel="next"`
  res.writeHead(200, headers).end(bodies[page - 1])
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const { port } = server.address() as AddressInfo
const endpoint: Endpoint = { name, primaryKeys: ['id'], path: '/items', paginator: { type: 'link_header' }, ...(wrapped ? { dataSelector: 'data' } : {}) }
const heapBytes = (): number => getHeapStatistics().used_heap_size

/** Full collections seen since the observer started (a full collection frees promoted garbage: such a count is void). */
let majors = 0
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++
})
observer.observe({ entryTypes: ['gc'] })
const settle = async (): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, 20)) }

const services = testServices()
let outcome: Record<string, number> | undefined
for (let attempt = 1; attempt <= 5 && outcome === undefined; attempt++) {
  const client = services.createClient({ source: 'Probe', baseUrl: `http://127.0.0.1:${port}`, auth: { type: 'none' } }, testRun())
  const held: Page[] = []
  let textBytes = 0
  let textPages = 0
  gc({ type: 'major' })
  await settle()
  const before = heapBytes()
  const majorsBefore = majors
  for await (const page of client.pages(endpoint, { rowsAsText: true })) {
    const raw = rawRowsOf(page)
    if (raw !== undefined) { textPages++; textBytes += raw.text.length }
    if (mode === 'hold') held.push(page)
  }
  gc({ type: 'minor' })
  gc({ type: 'minor' })
  const grownBytes = heapBytes() - before
  await settle()
  if (majors === majorsBefore) outcome = { grownBytes, textBytes, textPages, held: held.length, attempt }
}
observer.disconnect()
await services.close()
server.close()
process.stdout.write(JSON.stringify(outcome ?? { void: true }) + '\n')
