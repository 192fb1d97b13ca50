/**
 * Text pages (src/engine/raw-rows.ts): the scanner accepts exactly compact JSON arrays of objects and
 * gives each row's bounds and the named fields' values as JSON.parse reads them; it never accepts text
 * JSON.parse refuses (checked on thousands of random mutations); appended columns read as assigned
 * ones; a lazy page stops being text once its rows are read.
 */
import t from 'tap'
import { lazyPage, rawRowsOf, restated, rowCount, scanRows, type RawRows } from '../../src/engine/raw-rows.js'
import type { Row } from '../../src/engine/types.js'

function sliced (raw: RawRows): unknown[] {
  const out: unknown[] = []
  for (let i = 0; i < raw.count; i++) out.push(JSON.parse(raw.text.slice(raw.bounds[2 * i], raw.bounds[2 * i + 1])))
  return out
}

/** A small deterministic generator (mulberry32). */
function random (seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const STRINGS = ['', 'plain', 'with "quotes"', 'back\\slash', 'line\nbreak\ttab', 'é ü 日本', '😀 pair', '\u2028sep', 'updated_at', '\\"', '/slash/', '\u0001ctl']

function value (next: () => number, depth: number): unknown {
  const k = Math.floor(next() * (depth > 2 ? 6 : 8))
  if (k === 0) return STRINGS[Math.floor(next() * STRINGS.length)]
  if (k === 1) return Math.floor(next() * 2e6) - 1e6
  if (k === 2) return (next() - 0.5) * 1e-3
  if (k === 3) return next() < 0.5
  if (k === 4) return null
  if (k === 5) return 1e21 * next()
  if (k === 6) return Array.from({ length: Math.floor(next() * 3) }, () => value(next, depth + 1))
  return object(next, depth + 1)
}

function object (next: () => number, depth: number): Row {
  const row: Row = {}
  const keys = ['id', 'updated_at', 'nested', 'a b', 'é', 'q"k', STRINGS[Math.floor(next() * STRINGS.length)] as string]
  for (let i = Math.floor(next() * 5); i > 0; i--) row[keys[Math.floor(next() * keys.length)] as string] = value(next, depth)
  return row
}

t.test('scanRows: bounds and field values agree with JSON.parse on random compact pages', async (t) => {
  const next = random(7)
  for (let page = 0; page < 300; page++) {
    const rows = Array.from({ length: Math.floor(next() * 6) }, () => object(next, 0))
    const text = JSON.stringify(rows)
    const raw = scanRows(text, ['updated_at', 'id'])
    // A top-level key spelt with escapes hides whether it is a wanted field: such a page is parsed instead.
    const escapedKey = rows.some((row) => Object.keys(row).some((key) => JSON.stringify(key).includes('\\')))
    if (escapedKey) { t.equal(raw, undefined, `page ${page}: an escaped key`); continue }
    if (raw === undefined) { t.fail(`page ${page} refused: ${text}`); continue }
    t.equal(raw.count, rows.length)
    t.same(sliced(raw), rows, `page ${page}: slices`)
    t.same([...(raw.values.get('updated_at') ?? [])], rows.map((r) => r.updated_at), `page ${page}: updated_at values`)
    t.same([...(raw.values.get('id') ?? [])], rows.map((r) => r.id), `page ${page}: id values`)
    t.same(raw.parse(), rows, `page ${page}: parse()`)
  }
})

t.test('scanRows with the bytes: control characters refused in any text, ASCII told exactly', async (t) => {
  const bytesOf = (text: string): Buffer => Buffer.from(text, 'utf8')
  for (let c = 0; c < 0x20; c++) {
    const text = `[{"a":"x${String.fromCharCode(c)}y"}]`
    t.equal(scanRows(text, [], undefined, bytesOf(text)), undefined, `U+00${c.toString(16).padStart(2, '0')} in a string`)
  }
  const wide = '[{"a":"été ✓ 😀"}]'
  t.equal(scanRows(wide + '\n', [], undefined, bytesOf(wide + '\n')), undefined, 'a newline after a non-ASCII page')
  t.equal(scanRows(wide, [], undefined, bytesOf(wide))?.ascii, false, 'non-ASCII')
  t.equal(scanRows('[{"a":"b"}]', [], undefined, bytesOf('[{"a":"b"}]'))?.ascii, true, 'ASCII')
  t.equal(scanRows('[{"a":"b"}]')?.ascii, false, 'without bytes nothing is claimed')
  // A stray byte decodes to one U+FFFD: as many characters as bytes, but not ASCII.
  const stray = Buffer.from([...Buffer.from('[{"a":"'), 0x80, ...Buffer.from('"}]')])
  const decoded = stray.toString('utf8')
  t.equal(decoded.length, stray.length)
  t.equal(scanRows(decoded, [], undefined, stray)?.ascii, false, 'a replaced byte is not ASCII')
  const wrapped = '{"data":[{"a":1}],"has_more":false}'
  t.equal(scanRows(wrapped, [], 'data', bytesOf(wrapped))?.ascii, true, 'a wrapped page')
})

t.test('scanRows: a duplicate key gives its last value, as JSON.parse does; an empty page has no rows', async (t) => {
  const raw = scanRows('[{"id":1,"id":2},{}]', ['id'])
  t.same([...(raw?.values.get('id') ?? [])], [2, undefined])
  t.equal(scanRows('[]')?.count, 0)
})

t.test('scanRows refuses what is not a compact JSON array of objects (the page is then parsed as before)', async (t) => {
  const refused = [
    '', '[', ']', '{}', '[1]', '["a"]', '[null]', '[[]]', '[{}', '[{}]]', '[{}][]', '[{},]', '[,{}]', '[{}{}]',
    '[{"a":1,}]', '[{"a"}]', '[{"a":}]', '[{a:1}]', '[{"a":01}]', '[{"a":1.}]', '[{"a":-}]', '[{"a":.5}]', '[{"a":1e}]',
    '[{"a":tru}]', '[{"a":nul}]', '[{"a":falsey}]', '[{"a":"x}]', '[{"a":"\\x"}]', '[{"a":"\\u12"}]', '[{"a":"\\u12G4"}]',
    '[{"a":"\n"}]', '[{"a":"\t"}]', '[{"a":"\u0000"}]', '[{"a":[1,]}]', '[{"a":[1}]', '[{"a":{]}]', '[{"a":1]}',
    // whitespace between tokens: valid JSON, but a pretty-printed page is parsed, never written from its text
    '[ {}]', '[{} ]', '[{"a": 1}]', '[{"a" :1}]', '[{"a":1 }]', '[{"a":1},\n{}]', '[\n{"a":1}\n]'
  ]
  for (const text of refused) t.equal(scanRows(text), undefined, JSON.stringify(text))
  t.ok(scanRows('[{"a":"sp ace","b":[1,{"c":[]}],"d":{}}]'), 'spaces inside strings are text, not whitespace')
})

t.test('scanRows never accepts text JSON.parse refuses, nor changes what it means (random mutations)', async (t) => {
  const next = random(11)
  const alphabet = '{}[]",:\\ 0123456789.eE+-truefalsn\nx\u0001é'
  let accepted = 0
  let checked = 0
  for (let round = 0; round < 4000; round++) {
    const rows = Array.from({ length: 1 + Math.floor(next() * 3) }, () => object(next, 0))
    let text = JSON.stringify(rows)
    for (let edits = 1 + Math.floor(next() * 2); edits > 0; edits--) {
      const at = Math.floor(next() * text.length)
      const ch = alphabet[Math.floor(next() * alphabet.length)] as string
      const kind = next()
      text = kind < 0.33 ? text.slice(0, at) + text.slice(at + 1) : kind < 0.66 ? text.slice(0, at) + ch + text.slice(at) : text.slice(0, at) + ch + text.slice(at + 1)
    }
    const raw = scanRows(text, ['id'])
    checked++
    // With the text's bytes (the control-character check on bytes), the same answer.
    const withBytes = scanRows(text, ['id'], undefined, Buffer.from(text, 'utf8'))
    if ((withBytes === undefined) !== (raw === undefined) || (raw !== undefined && withBytes !== undefined && raw.bounds.join() !== withBytes.bounds.join())) {
      t.fail(`bytes change the answer: ${JSON.stringify(text)}`)
    }
    if (raw === undefined) continue
    accepted++
    let parsed: unknown
    try { parsed = JSON.parse(text) } catch { t.fail(`accepted invalid JSON: ${JSON.stringify(text)}`); continue }
    if (!Array.isArray(parsed)) { t.fail(`accepted a non-array: ${JSON.stringify(text)}`); continue }
    const same = JSON.stringify(sliced(raw)) === JSON.stringify(parsed) &&
      JSON.stringify([...(raw.values.get('id') ?? [])]) === JSON.stringify(parsed.map((r: Row) => r.id)) &&
      !/\s/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, ''))
    if (!same) t.fail(`accepted with another meaning: ${JSON.stringify(text)}`)
  }
  t.ok(accepted > 100, `some mutations stay valid and are accepted (${accepted} of ${checked})`)
})

t.test('withColumns: appended as assignment appends them; refused where a row may hold a name', async (t) => {
  const decorate = (row: Row): Row => { row.repository = 'octo/a'; row.extra = undefined; return row }
  const raw = scanRows('[{"id":1},{},{"id":2,"user":{"repository":"nested keys do not count"}}]', ['repository', '_before'])
  const added = raw?.withColumns([['repository', 'octo/a'], ['extra', undefined]], ['_before'], decorate)
  t.equal(added?.columns, ',"repository":"octo/a"', 'an undefined value adds no column, as JSON.stringify drops it')
  t.same(added?.parse(), [{ id: 1, repository: 'octo/a', extra: undefined }, { repository: 'octo/a', extra: undefined },
    { id: 2, user: { repository: 'nested keys do not count' }, repository: 'octo/a', extra: undefined }])
  t.equal(scanRows('[{"repository":"own"}]', ['repository'])?.withColumns([['repository', 'x']], [], decorate), undefined, 'a row with the column')
  t.equal(scanRows('[{"_before":1}]', ['_before'])?.withColumns([['repository', 'x']], ['_before'], decorate), undefined, 'a row with the pre-rename name')
  t.equal(scanRows('[{"repository":"own"}]')?.withColumns([['repository', 'x']], [], decorate), undefined, 'names the scan did not read: found in the text')
  t.equal(scanRows('[{"id":1}]')?.withColumns([['constructor', 'x']], [], decorate), undefined, 'a name every object has')
  t.equal(scanRows('[{"repositor\\u0079":"own"}]')?.withColumns([['repository', 'x']], [], decorate), undefined, 'a key spelt with escapes')
  t.equal(scanRows('[{"updated\\u005fat":"2024"}]', ['updated_at']), undefined, 'a wanted field spelt with escapes: parsed instead')
  t.equal(scanRows('[{"id":1}]')?.withColumns([['big', 10n]], [], decorate), undefined, 'a value with no JSON text')
})

t.test('lazyPage: text until its rows are read; then objects only, whoever holds it', async (t) => {
  const raw = scanRows('[{"id":1},{"id":2}]') as RawRows
  const page = lazyPage(raw, { v: 2 }, { pages: 1 })
  t.equal(rawRowsOf(page), raw)
  t.equal(rowCount(page), 2)
  const moved = restated(page, null)
  t.equal(rawRowsOf(moved), raw, 'a new state keeps the text')
  t.same(page.rows, [{ id: 1 }, { id: 2 }])
  t.equal(rawRowsOf(page), undefined, 'read once: no text form any more')
  page.rows[0]!.id = 9
  t.same(restated(page, null).rows[0], { id: 9 }, 'changed objects travel, not stale text')
  const spread = { ...moved }
  t.equal(rawRowsOf(moved), undefined, 'a spread reads the rows')
  t.same(spread.rows, [{ id: 1 }, { id: 2 }])
  const assigned = lazyPage(raw, null)
  assigned.rows = [{ id: 3 }]
  t.equal(rawRowsOf(assigned), undefined, 'assigned rows replace the text')
  t.same(assigned.rows, [{ id: 3 }])
})

t.test('scanRows with a selector: the rows under one member of an object, the other members parsed as the rest', async (t) => {
  const next = random(23)
  for (let page = 0; page < 200; page++) {
    const rows = Array.from({ length: Math.floor(next() * 4) }, () => object(next, 0))
    const before = object(next, 1)
    const after = object(next, 1)
    delete before.data
    delete after.data
    const body = { ...before, data: rows, ...after }
    const text = JSON.stringify(body)
    const raw = scanRows(text, ['id'], 'data')
    const escapedMember = Object.keys(body).some((key) => JSON.stringify(key).includes('\\'))
    const escapedKey = rows.some((row) => Object.keys(row).some((key) => JSON.stringify(key).includes('\\')))
    if (escapedMember || escapedKey) { t.equal(raw, undefined, `page ${page}: an escaped key`); continue }
    if (raw === undefined) { t.fail(`page ${page} refused: ${JSON.stringify(text)}`); continue }
    t.same(sliced(raw), rows, `page ${page}: rows`)
    const rest: Row = { ...body }
    delete rest.data
    t.same(raw.wrapped?.rest, rest, `page ${page}: the rest of the body`)
    t.same(raw.parse(), rows, `page ${page}: parse()`)
    t.same(raw.row(raw.count - 1), rows.at(-1), `page ${page}: the last row alone`)
  }
  const refused = ['[{}]', '{}', '{"data":{}}', '{"data":[1]}', '{"data":null}', '{"other":[]}', '{"data":[],"data":[]}', '{"d\\u0061ta":[{}]}',
    '{"data":[{}],}', '{"data":[{}]}x', '{ "data":[{}]}', '{"data":[{}] }', '{"x":1,"data":[{"a":1,}]}', '{"x":tru,"data":[]}']
  for (const text of refused) t.equal(scanRows(text, [], 'data'), undefined, JSON.stringify(text))
  t.same(scanRows('{"has_more":true,"data":[]}', [], 'data')?.wrapped?.rest, { has_more: true }, 'an empty page')
})

t.test('scanRows with a selector never accepts text JSON.parse refuses (random mutations)', async (t) => {
  const next = random(29)
  const alphabet = '{}[]",:\\ 0123456789.eE+-truefalsndat\nx\u0001'
  let accepted = 0
  for (let round = 0; round < 3000; round++) {
    let text = JSON.stringify({ object: 'list', data: Array.from({ length: 1 + Math.floor(next() * 2) }, () => object(next, 0)), has_more: next() < 0.5 })
    const at = Math.floor(next() * text.length)
    const ch = alphabet[Math.floor(next() * alphabet.length)] as string
    const kind = next()
    text = kind < 0.33 ? text.slice(0, at) + text.slice(at + 1) : kind < 0.66 ? text.slice(0, at) + ch + text.slice(at) : text.slice(0, at) + ch + text.slice(at + 1)
    const raw = scanRows(text, [], 'data')
    if (raw === undefined) continue
    accepted++
    let parsed: Row
    try { parsed = JSON.parse(text) as Row } catch { t.fail(`accepted invalid JSON: ${JSON.stringify(text)}`); continue }
    const rest: Row = { ...parsed }
    delete rest.data
    if (JSON.stringify(sliced(raw)) !== JSON.stringify(parsed.data) || JSON.stringify(raw.wrapped?.rest) !== JSON.stringify(rest)) t.fail(`accepted with another meaning: ${JSON.stringify(text)}`)
  }
  t.ok(accepted > 100, `some mutations stay valid and are accepted (${accepted})`)
})
