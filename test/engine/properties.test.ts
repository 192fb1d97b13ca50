/** Property tests: address spellings classify alike; every paginator yields each row once and resumes exactly. */
import t from 'tap'
import fc from 'fast-check'
import type { Endpoint, PaginatorDecl } from '../../src/engine/declarations.js'
import { classifyAddress } from '../../src/engine/ssrf.js'
import { startRestFake } from '../fakes/rest-fake.js'
import { collect, testRun, testServices } from './helpers.js'

t.test('every spelling of an IPv4 address classifies alike', async (t) => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => {
    const bytes = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]
    const dotted = bytes.join('.')
    const expected = classifyAddress(dotted)
    const spellings = [String(n), `0x${n.toString(16)}`, `${bytes[0]}.${(n & 0xffffff)}`, `0${bytes[0]!.toString(8)}.${bytes[1]}.${bytes[2]}.${bytes[3]}`, `::ffff:${dotted}`]
    return expected !== null && spellings.every((s) => classifyAddress(s) === expected)
  }), { numRuns: 500 })
  t.pass('checked 500 addresses')
})

type Kind = 'offset_total' | 'offset_short' | 'page_total' | 'page_empty' | 'cursor' | 'last_record'
const PAGINATORS: Record<Kind, PaginatorDecl> = {
  offset_total: { type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: 1, totalPath: 'total' },
  offset_short: { type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: 1 },
  page_total: { type: 'page_number', pageParam: 'page', totalPagesPath: 'pages' },
  page_empty: { type: 'page_number', pageParam: 'page', basePage: 0 },
  cursor: { type: 'cursor', cursorPath: 'next', param: 'cursor' },
  last_record: { type: 'last_record_cursor', recordField: 'id', param: 'after', hasMorePath: 'more' }
}

t.test('each paginator yields every row once, in order, and resumes after any page', async (t) => {
  // Dataset in the path: /data/<rows>/<size>; the fake honours every paginator's params.
  const fake = await startRestFake({
    'GET /data/:n/:size': (req) => {
      const n = Number(req.params.n)
      const size = Number(req.params.size)
      const q = req.query
      let from = 0
      if (q.has('offset')) from = Number(q.get('offset'))
      else if (q.has('page')) from = (Number(q.get('page')) - (q.get('base') === '0' ? 0 : 1)) * size
      else if (q.has('cursor')) from = Number(q.get('cursor'))
      else if (q.has('after')) from = Number(q.get('after'))
      const rows = Array.from({ length: Math.max(0, Math.min(size, n - from)) }, (_, i) => ({ id: from + i + 1 }))
      const end = from + rows.length
      return { json: { rows, total: n, pages: Math.ceil(n / size), more: end < n, next: end < n ? String(end) : null } }
    }
  })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'P', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  await fc.assert(fc.asyncProperty(
    fc.integer({ min: 0, max: 25 }), fc.integer({ min: 1, max: 6 }), fc.constantFrom(...Object.keys(PAGINATORS) as Kind[]), fc.nat(),
    async (n, size, kind, pick) => {
      let paginator = PAGINATORS[kind]
      if (paginator.type === 'offset') paginator = { ...paginator, limit: size }
      const endpoint: Endpoint = {
        name: 'data', primaryKeys: ['id'], path: `/data/${n}/${size}`, dataSelector: 'rows', paginator,
        ...(kind === 'page_empty' ? { params: { base: '0' } } : {})
      }
      const { pages, rows } = await collect(client.pages(endpoint))
      if (JSON.stringify(rows.map((r) => r.id)) !== JSON.stringify(Array.from({ length: n }, (_, i) => i + 1))) return false
      if (pages.at(-1)?.state !== null) return false
      const resumable = pages.map((p, i) => [p.state, i] as const).filter(([s]) => s !== null)
      if (resumable.length === 0) return true
      const [state, index] = resumable[pick % resumable.length]!
      const rest = await collect(client.pages(endpoint, { resumeState: JSON.parse(JSON.stringify(state)) }))
      return JSON.stringify(rest.rows) === JSON.stringify(pages.slice(index + 1).flatMap((p) => p.rows))
    }
  ), { numRuns: 60 })
  t.pass('60 datasets × paginators')
})
