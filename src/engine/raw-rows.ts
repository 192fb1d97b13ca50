/**
 * Rows kept as the upstream's own JSON text. A sync that writes rows out as it got them need not parse
 * every page into objects and stringify them again: a page that is a compact JSON array of objects is
 * checked by a scanner that finds each row's bounds (and the few top-level values the run reads, such
 * as the incremental field), and its rows are written as those slices with the fan-out columns spliced
 * in before each closing brace. Anything that reads `page.rows` still gets objects: the first read
 * parses the page as the engine always did (`lazyPage`), and from then on the page has no text form, so
 * objects changed in place can never be written from stale text.
 */
import { isAscii } from 'node:buffer'
import type { Page, PageProgress, ResumeState, Row } from './types.js'

/** Everything below U+0020: never raw inside a JSON string, and outside one only as whitespace. */
const CONTROL = /[\u0000-\u001f]/
const HEX4 = /[0-9a-fA-F]{4}/y

/**
 * Whether UTF-8 bytes hold a control character: a byte below 0x20 (a multi-byte sequence has none).
 * One native byte search per value is about twice as fast as the regex over the text, whatever the text
 * holds (bench/README.md, issue 16).
 */
function hasControlByte (bytes: Buffer): boolean {
  for (let c = 0; c < 0x20; c++) if (bytes.indexOf(c) !== -1) return true
  return false
}

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
    readonly escapedKeys = false,
    /** A wrapped page: the body's other members (parsed) and the name of the member holding the rows. */
    readonly wrapped?: { rest: Row, selector: string },
    /** The text is all ASCII (known from its bytes): its slices can be written as latin1 without a look. */
    readonly ascii = false
  ) {}

  get count (): number { return this.bounds.length >> 1 }

  /** Row `i` alone, parsed and decorated. */
  row (i: number): Row | undefined {
    if (i < 0 || i >= this.count) return undefined
    let row = JSON.parse(this.text.slice(this.bounds[2 * i], this.bounds[2 * i + 1])) as Row
    for (const decorate of this.decorate) row = decorate(row)
    return row
  }

  /** Whether a row may have the top-level key `name` (or `name` is one every object has). */
  mayHold (name: string): boolean {
    if (name in Object.prototype) return true
    const values = this.values.get(name)
    if (values === undefined) return this.text.includes(JSON.stringify(name) + ':')
    return values.some((value) => value !== undefined)
  }

  /** The rows as objects: the page parsed whole, then decorated, as if it had never been text. */
  parse (): Row[] {
    const body = JSON.parse(this.text) as Row[] | Row
    const rows = this.wrapped === undefined ? body as Row[] : (body as Row)[this.wrapped.selector] as Row[]
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
    return new RawRows(this.text, this.bounds, this.values, this.columns + text, [...this.decorate, decorate], false, this.wrapped, this.ascii)
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
 * A page body's rows as text, or undefined unless the body is a compact JSON array of objects — or,
 * with `selector`, a compact JSON object whose member of that name is one — with no whitespace between
 * tokens (a pretty-printed page is parsed as before) and valid throughout, so that every slice is a
 * valid JSON object on one line. `fields` are top-level keys of the rows whose values are read (parsed
 * from their slice; the last of duplicate keys wins, as in JSON.parse). With a selector, the other
 * members are parsed into `rest` (the body without its rows). `bytes`, the UTF-8 bytes the text was
 * decoded from, make the control-character check faster and tell whether the text is ASCII.
 */
export function scanRows (text: string, fields: readonly string[] = [], selector?: string, bytes?: Buffer): RawRows | undefined {
  const n = text.length
  const open = selector === undefined ? 0x5b : 0x7b
  if (n < 2 || text.charCodeAt(0) !== open || text.charCodeAt(n - 1) !== open + 2) return undefined
  if (bytes === undefined ? CONTROL.test(text) : hasControlByte(bytes)) return undefined
  // Not `bytes.length === n`: a stray byte decodes to one U+FFFD, which keeps the counts equal.
  const ascii = bytes !== undefined && isAscii(bytes)
  const bounds: number[] = []
  const values = new Map<string, unknown[]>(fields.map((f) => [f, []]))
  const wanted = fields.length > 0
  let escapedKeys = false
  // Containers open inside the current value: true for an object, false for an array.
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
  /** Index after the value at `at`, or -1. `row` ≥ 0: the value is that row, an object whose wanted fields are read. */
  const valueEnd = (at: number, row: number): number => {
    let i = at
    let field: string | undefined
    let valueAt = 0
    let expectKey = false
    const read = row >= 0 && wanted
    if (row >= 0 && text.charCodeAt(i) !== 0x7b) return -1
    do {
      if (expectKey) {
        if (text.charCodeAt(i) !== 0x22) return -1
        const escapes = backslash
        const end = stringEnd(i)
        if (end === -1 || text.charCodeAt(end) !== 0x3a) return -1
        if (row >= 0 && stack.length === 1 && escapes < end) {
          // A wanted field spelt with escapes would be missed: such a page is parsed instead.
          if (wanted) return -1
          escapedKeys = true
        }
        if (read && stack.length === 1) {
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
      if (c === 0x22) {
        i = stringEnd(i)
        if (i === -1) return -1
      } else if (c === 0x7b || c === 0x5b) {
        const object = c === 0x7b
        i++
        if (text.charCodeAt(i) === (object ? 0x7d : 0x5d)) i++
        else {
          stack.push(object)
          expectKey = object
          continue
        }
      } else if (c === 0x74) {
        if (!text.startsWith('true', i)) return -1
        i += 4
      } else if (c === 0x66) {
        if (!text.startsWith('false', i)) return -1
        i += 5
      } else if (c === 0x6e) {
        if (!text.startsWith('null', i)) return -1
        i += 4
      } else {
        i = numberEnd(text, i)
        if (i === -1) return -1
      }
      // After a value: a comma, or the end of one or more containers.
      while (stack.length > 0) {
        if (field !== undefined && stack.length === 1) {
          // The row's slot (a duplicate key takes it again, as the last wins in JSON.parse).
          (values.get(field) as unknown[])[row] = JSON.parse(text.slice(valueAt, i))
          field = undefined
        }
        const d = text.charCodeAt(i)
        const top = stack[stack.length - 1]
        if (d === 0x2c) { i++; expectKey = top === true; break }
        if (d !== (top === true ? 0x7d : 0x5d)) return -1
        stack.pop()
        i++
      }
    } while (stack.length > 0)
    return i
  }
  /** Index after the array of rows at `at`, or -1. */
  const rowsEnd = (at: number): number => {
    if (text.charCodeAt(at) !== 0x5b) return -1
    let i = at + 1
    if (text.charCodeAt(i) === 0x5d) return i + 1
    for (;;) {
      const row = bounds.length >> 1
      const end = valueEnd(i, row)
      if (end === -1) return -1
      bounds.push(i, end)
      if (wanted) for (const list of values.values()) if (list.length === row) list.push(undefined)
      i = end
      const d = text.charCodeAt(i)
      if (d === 0x5d) return i + 1
      if (d !== 0x2c) return -1
      i++
    }
  }
  if (selector === undefined) {
    if (rowsEnd(0) !== n) return undefined
    return new RawRows(text, Uint32Array.from(bounds), values, '', [], escapedKeys, undefined, ascii)
  }
  // A wrapped page: the members of the body, the rows one of them.
  const members: string[] = []
  let found = false
  let i = 1
  if (text.charCodeAt(i) !== 0x7d) {
    for (;;) {
      if (text.charCodeAt(i) !== 0x22) return undefined
      const escapes = backslash
      const keyEnd = stringEnd(i)
      if (keyEnd === -1 || escapes < keyEnd || text.charCodeAt(keyEnd) !== 0x3a) return undefined
      const isRows = keyEnd - i - 2 === selector.length && text.startsWith(selector, i + 1)
      if (isRows && found) return undefined // a repeated member: which one JSON.parse keeps is not worth the risk
      const end = isRows ? rowsEnd(keyEnd + 1) : valueEnd(keyEnd + 1, -1)
      if (end === -1) return undefined
      if (isRows) found = true
      else members.push(text.slice(i, end))
      i = end
      const d = text.charCodeAt(i)
      if (d === 0x7d) break
      if (d !== 0x2c) return undefined
      i++
    }
  }
  if (!found || i !== n - 1) return undefined
  const rest = JSON.parse(`{${members.join(',')}}`) as Row
  return new RawRows(text, Uint32Array.from(bounds), values, '', [], escapedKeys, { rest, selector }, ascii)
}

/**
 * Where a text page keeps its rows: a non-enumerable own slot, read by one shared accessor. A spread copy
 * of the page (which reads `rows`, parsing them) has no slot, so no text form. Both choices keep the text
 * out of places V8's young-generation collector treats as roots (bench/README.md, scenario 4): a WeakMap
 * value stays alive there while its entry is in the table, dead key or not, and a getter written in an
 * object literal is a new closure per page, which gives each page its own map (allocated old) holding it.
 */
const SLOT = Symbol('rows as text')
interface TextSlot { raw: RawRows | undefined, rows: Row[] | undefined }
type Slotted = Page & { [SLOT]?: TextSlot }

const ROWS: PropertyDescriptor = {
  get (this: Slotted): Row[] {
    const slot = this[SLOT] as TextSlot
    if (slot.rows === undefined) {
      slot.rows = (slot.raw as RawRows).parse()
      slot.raw = undefined
    }
    return slot.rows
  },
  set (this: Slotted, value: Row[]) {
    const slot = this[SLOT] as TextSlot
    slot.raw = undefined
    slot.rows = value
  },
  enumerable: true,
  configurable: true
}

/**
 * A page whose rows are `raw`: its `rows` are parsed on first read, and from then on `rawRowsOf` gives
 * nothing for it (whoever read them may change them).
 */
export function lazyPage (raw: RawRows, state: ResumeState | null, progress?: PageProgress): Page {
  const page = {} as Slotted
  Object.defineProperty(page, 'rows', ROWS)
  Object.defineProperty(page, SLOT, { value: { raw, rows: undefined } })
  page.state = state
  if (progress !== undefined) page.progress = progress
  return page
}

const PAGE = Symbol('text page')
const MEMBER: PropertyDescriptor = {
  get (this: { [PAGE]: Page }): Row[] { return this[PAGE].rows },
  enumerable: true,
  configurable: true
}

/** A wrapped text page's body (`rest`): its member `name` reads the page's rows (parsing them), through one shared accessor. */
export function exposeRows (rest: Row, name: string, page: Page): void {
  Object.defineProperty(rest, PAGE, { value: page })
  Object.defineProperty(rest, name, MEMBER)
}

/** The same rows (text or objects, as they are) with another state and progress. */
export function restated (page: Page, state: ResumeState | null, progress?: PageProgress): Page {
  const raw = rawRowsOf(page)
  if (raw !== undefined) return lazyPage(raw, state, progress)
  return progress === undefined ? { rows: page.rows, state } : { rows: page.rows, state, progress }
}

/** The page's rows as text, while nobody has read them as objects. */
export function rawRowsOf (page: Page): RawRows | undefined {
  return (page as Slotted)[SLOT]?.raw
}

/** How many rows a page holds, without parsing a text page. */
export function rowCount (page: Page): number {
  return rawRowsOf(page)?.count ?? page.rows.length
}
