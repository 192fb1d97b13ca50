/**
 * Rows kept as the upstream's own JSON text. A sync that writes rows out as it got them need not parse
 * every page into objects and stringify them again: a page that is a compact JSON array of objects is
 * checked by a scanner that finds each row's bounds (and the few top-level values the run reads, such
 * as the incremental field), and its rows are written as those slices with the fan-out columns spliced
 * in before each closing brace. Anything that reads `page.rows` still gets objects: the first read
 * parses the page as the engine always did (`lazyPage`), and from then on the page has no text form, so
 * objects changed in place can never be written from stale text.
 */
import type { Page, PageProgress, ResumeState, Row } from './types.js'

/** Everything below U+0020: never raw inside a JSON string, and outside one only as whitespace. */
const CONTROL = /[\u0000-\u001f]/
const HEX4 = /[0-9a-fA-F]{4}/y

/** Characters allowed after a backslash in a JSON string (`u` is checked apart). */
const SIMPLE_ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74])

export class RawRows {
  /**
   * `bounds` holds each row's start and end (exclusive) in `text`; `values` the named top-level
   * fields' values by row (undefined where a row lacks one); `columns` the text spliced in before each
   * row's closing brace (`,"name":value…`, without the leading comma for `{}`); `decorate` what turns a
   * parsed row into the same row the columns describe.
   */
  constructor (
    readonly text: string,
    readonly bounds: Uint32Array,
    readonly values: ReadonlyMap<string, readonly unknown[]>,
    readonly columns = '',
    readonly decorate: ReadonlyArray<(row: Row) => Row> = [],
    /** A row's top-level key is written with escapes (`"a\u0062"`): its name cannot be read off the text. */
    readonly escapedKeys = false
  ) {}

  get count (): number { return this.bounds.length >> 1 }

  /** Whether a row may have the top-level key `name` (or `name` is one every object has). */
  mayHold (name: string): boolean {
    if (name in Object.prototype) return true
    const values = this.values.get(name)
    if (values === undefined) return this.text.includes(JSON.stringify(name) + ':')
    return values.some((value) => value !== undefined)
  }

  /** The rows as objects: the page parsed whole, then decorated, as if it had never been text. */
  parse (): Row[] {
    const rows = JSON.parse(this.text) as Row[]
    for (const decorate of this.decorate) {
      for (let i = 0; i < rows.length; i++) rows[i] = decorate(rows[i] as Row)
    }
    return rows
  }

  /**
   * The same rows with `added` columns appended (as assigning them to each parsed row appends them), or
   * undefined when that cannot be told from the text: a column whose name, or a name in `conflicts`,
   * is a key of a row (read by the scan when it was one of its fields; otherwise any `"name":` in the
   * page counts), or a value with no JSON text.
   */
  withColumns (added: ReadonlyArray<readonly [string, unknown]>, conflicts: readonly string[], decorate: (row: Row) => Row): RawRows | undefined {
    if (this.escapedKeys) return undefined
    let text = ''
    for (const [name, value] of added) {
      if (this.mayHold(name)) return undefined
      if (value === undefined) continue
      let json: string | undefined
      try { json = JSON.stringify(value) } catch { return undefined }
      if (json === undefined) return undefined
      text += ',' + JSON.stringify(name) + ':' + json
    }
    for (const name of conflicts) if (this.mayHold(name)) return undefined
    return new RawRows(this.text, this.bounds, this.values, this.columns + text, [...this.decorate, decorate], false)
  }
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39

/** Index after the JSON number starting at `at` (`-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`), or -1. */
function numberEnd (text: string, at: number): number {
  let i = at
  if (text.charCodeAt(i) === 0x2d) i++
  const first = text.charCodeAt(i)
  if (!isDigit(first)) return -1
  i++
  if (first !== 0x30) while (isDigit(text.charCodeAt(i))) i++
  if (text.charCodeAt(i) === 0x2e) {
    i++
    if (!isDigit(text.charCodeAt(i))) return -1
    while (isDigit(text.charCodeAt(i))) i++
  }
  const e = text.charCodeAt(i)
  if (e === 0x65 || e === 0x45) {
    const sign = text.charCodeAt(++i)
    if (sign === 0x2b || sign === 0x2d) i++
    if (!isDigit(text.charCodeAt(i))) return -1
    while (isDigit(text.charCodeAt(i))) i++
  }
  return i
}

/** Index after the string starting at `at` (a quote), or -1 when it is not a valid JSON string. */
function endOfEscapedString (text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x22) return i + 1
    if (c !== 0x5c) continue
    const e = text.charCodeAt(++i)
    if (e === 0x75) {
      HEX4.lastIndex = i + 1
      if (!HEX4.test(text)) return -1
      i += 4
    } else if (!SIMPLE_ESCAPES.has(e)) return -1
  }
  return -1
}

/**
 * A page body's rows as text, or undefined unless it is a compact JSON array of objects: no whitespace
 * between tokens (a pretty-printed page is parsed as before) and valid throughout, so that every slice
 * is a valid JSON object on one line. `fields` are top-level keys whose values are read (parsed from
 * their slice; the last of duplicate keys wins, as in JSON.parse).
 */
export function scanRows (text: string, fields: readonly string[] = []): RawRows | undefined {
  const n = text.length
  if (n < 2 || text.charCodeAt(0) !== 0x5b || text.charCodeAt(n - 1) !== 0x5d || CONTROL.test(text)) return undefined
  const bounds: number[] = []
  const values = new Map<string, unknown[]>(fields.map((f) => [f, []]))
  const wanted = fields.length > 0
  let escapedKeys = false
  // Containers open inside the current row: true for an object, false for an array.
  const stack: boolean[] = []
  let backslash = text.indexOf('\\')
  if (backslash === -1) backslash = n
  const stringEnd = (at: number): number => {
    const close = text.indexOf('"', at + 1)
    if (close === -1) return -1
    if (close < backslash) return close + 1
    const end = endOfEscapedString(text, at)
    if (end !== -1 && backslash < end) {
      backslash = text.indexOf('\\', end)
      if (backslash === -1) backslash = n
    }
    return end
  }
  let i = 1
  if (text.charCodeAt(1) === 0x5d) return n === 2 ? new RawRows(text, new Uint32Array(0), values) : undefined
  for (;;) {
    // One row: an object, scanned token by token.
    if (text.charCodeAt(i) !== 0x7b) return undefined
    const row = bounds.length >> 1
    const start = i
    let field: string | undefined
    let valueAt = 0
    stack.push(true)
    i++
    let expectKey = true
    if (text.charCodeAt(i) === 0x7d) { stack.pop(); i++; expectKey = false }
    while (stack.length > 0) {
      if (expectKey) {
        if (text.charCodeAt(i) !== 0x22) return undefined
        const escapes = backslash
        const end = stringEnd(i)
        if (end === -1 || text.charCodeAt(end) !== 0x3a) return undefined
        if (stack.length === 1 && escapes < end) {
          // A wanted field spelt with escapes would be missed: such a page is parsed instead.
          if (wanted) return undefined
          escapedKeys = true
        }
        if (wanted && stack.length === 1) {
          field = undefined
          for (const f of fields) {
            if (end - i - 2 === f.length && text.startsWith(f, i + 1)) { field = f; break }
          }
          valueAt = end + 1
        }
        i = end + 1
      }
      // A value.
      const c = text.charCodeAt(i)
      let opened = false
      if (c === 0x22) {
        i = stringEnd(i)
        if (i === -1) return undefined
      } else if (c === 0x7b || c === 0x5b) {
        const object = c === 0x7b
        i++
        if (text.charCodeAt(i) === (object ? 0x7d : 0x5d)) i++
        else { stack.push(object); opened = true }
      } else if (c === 0x74) {
        if (!text.startsWith('true', i)) return undefined
        i += 4
      } else if (c === 0x66) {
        if (!text.startsWith('false', i)) return undefined
        i += 5
      } else if (c === 0x6e) {
        if (!text.startsWith('null', i)) return undefined
        i += 4
      } else {
        i = numberEnd(text, i)
        if (i === -1) return undefined
      }
      if (opened) {
        expectKey = stack[stack.length - 1] === true
        continue
      }
      // After a value: a comma, or the end of one or more containers.
      for (;;) {
        if (field !== undefined && stack.length === 1) {
          // The row's slot (a duplicate key takes it again, as the last wins in JSON.parse).
          (values.get(field) as unknown[])[row] = JSON.parse(text.slice(valueAt, i))
          field = undefined
        }
        const d = text.charCodeAt(i)
        const top = stack[stack.length - 1]
        if (d === 0x2c) { i++; expectKey = top === true; break }
        if (d !== (top === true ? 0x7d : 0x5d)) return undefined
        stack.pop()
        i++
        if (stack.length === 0) break
      }
    }
    bounds.push(start, i)
    if (wanted) for (const list of values.values()) if (list.length === row) list.push(undefined)
    const d = text.charCodeAt(i)
    if (d === 0x5d) {
      if (i !== n - 1) return undefined
      break
    }
    if (d !== 0x2c) return undefined
    i++
  }
  return new RawRows(text, Uint32Array.from(bounds), values, '', [], escapedKeys)
}

const texts = new WeakMap<Page, RawRows>()

/**
 * A page whose rows are `raw`: its `rows` are parsed on first read, and from then on `rawRowsOf` gives
 * nothing for it (whoever read them may change them).
 */
export function lazyPage (raw: RawRows, state: ResumeState | null, progress?: PageProgress): Page {
  let rows: Row[] | undefined
  const page: Page = {
    get rows () {
      if (rows === undefined) {
        texts.delete(page)
        rows = raw.parse()
      }
      return rows
    },
    set rows (value: Row[]) {
      texts.delete(page)
      rows = value
    },
    state,
    ...(progress === undefined ? {} : { progress })
  }
  texts.set(page, raw)
  return page
}

/** The same rows (text or objects, as they are) with another state and progress. */
export function restated (page: Page, state: ResumeState | null, progress?: PageProgress): Page {
  const raw = texts.get(page)
  if (raw !== undefined) return lazyPage(raw, state, progress)
  return progress === undefined ? { rows: page.rows, state } : { rows: page.rows, state, progress }
}

/** The page's rows as text, while nobody has read them as objects. */
export function rawRowsOf (page: Page): RawRows | undefined {
  return texts.get(page)
}

/** How many rows a page holds, without parsing a text page. */
export function rowCount (page: Page): number {
  return texts.get(page)?.count ?? page.rows.length
}
