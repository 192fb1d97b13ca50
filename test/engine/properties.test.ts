/** Property tests: address spellings classify alike; every paginator yields each row once and resumes exactly. */
import t from 'tap'
import fc from 'fast-check'
import type { Endpoint, PaginatorDecl } from '../../src/engine/declarations.js'
import { parseLinkHeader } from '../../src/engine/paginators/link-header.js'
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

/**
 * The Link header as a regular expression reads it (the engine's parser before issue 16 made it a scan):
 * each `<target>`, then `; name[=value]` parameters, values trimmed and unquoted.
 */
function linkHeaderByPattern (header: string): Array<{ href: string, params: Record<string, string> }> {
  const links: Array<{ href: string, params: Record<string, string> }> = []
  for (const match of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,"=]+(?:=(?:"[^"]*"|[^;,]*))?)*)/g)) {
    const params: Record<string, string> = {}
    for (const part of (match[2] ?? '').split(';')) {
      const eq = part.indexOf('=')
      if (eq < 0) continue
      params[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1')
    }
    links.push({ href: match[1] ?? '', params })
  }
  return links
}

t.test('the Link header scan reads every header as the pattern does', async (t) => {
  // Headers built from the pieces that matter: targets, separators, names, quoted, bare and unterminated
  // values, and stray characters. Left out: a quoted value holding ';' (`="a;b"`, here also an unterminated
  // quote closed by a later one), which the pattern's split cut in two and the scan reads whole.
  const piece = fc.constantFrom('<', '>', ';', ',', '=', '"', ' ', '\t', '\u00a0', 'rel', 'REL', 'next', 'last', 'results', 'false',
    'https://api.example/x?page=2&a=b', '/rel/x', 'a b', '', 'x')
  const quoted = fc.stringMatching(/^[^";]{0,8}$/).map((v) => `"${v}"`)
  const param = fc.tuple(fc.constantFrom(';', ' ;', '; ', ';  '), fc.constantFrom('rel', ' Rel ', 'results', 'title', ''), fc.option(fc.oneof(quoted, fc.constantFrom('=next', '= "x"', '=a"b', '="open', '=', '=x<y>z'))))
    .map(([sep, name, value]) => `${sep}${name}${value === null ? '' : value.startsWith('=') ? value : `=${value}`}`)
  const link = fc.tuple(fc.constantFrom('<https://api.example/x?page=2>', '<>', '</y>', '<a<b>'), fc.array(param, { maxLength: 3 }))
    .map(([target, params]) => target + params.join(''))
  const header = fc.tuple(fc.array(fc.oneof(link, piece), { maxLength: 6 }), fc.constantFrom(', ', ',', ' '))
    .map(([parts, separator]) => parts.join(separator)).filter((h) => !/="[^"]*;[^"]*"/.test(h))
  fc.assert(fc.property(header, (h) => JSON.stringify(parseLinkHeader(h)) === JSON.stringify(linkHeaderByPattern(h))), { numRuns: 2000 })
  t.pass('2000 headers read alike')
  t.same(parseLinkHeader('<https://a.example/?page=2>; rel="next", <https://a.example/?page=9>; rel=last'),
    [{ href: 'https://a.example/?page=2', params: { rel: 'next' } }, { href: 'https://a.example/?page=9', params: { rel: 'last' } }])
})
