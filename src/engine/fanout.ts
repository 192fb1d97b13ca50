/**
 * Parent → child fan-out, declared once (FanOutDecl) and executed here for every source: parents come
 * from a static list or from another catalog endpoint (itself possibly a fan-out, so multi-level
 * chains work), children are paged per parent with bounded concurrency and emitted parent by parent,
 * rows decorated with `_<parent>_<field>` then renamed. State: the parent page's start state, the
 * parent's index in it, and the child's own state.
 */
import { setMaxListeners } from 'node:events'
import type { FanOutDecl } from './declarations.js'
import { LookAhead } from './lookahead.js'
import { lazyPage, rawRowsOf, rowCount, type RawRows } from './raw-rows.js'
import { getPath } from './select.js'
import type { Page, PageProgress, ResumeState, Row } from './types.js'

export const DEFAULT_FANOUT_CONCURRENCY = 4

export interface FanOutState {
  /** State the parent page holding the current parent starts from (null: the first page). */
  parentFrom: ResumeState | null
  /** Index of the current parent within that page. */
  parentIndex: number
  /** Resolved value of the current parent (checked on resume). */
  parentKey: string | null
  /** The current parent's child state (null: from its start). */
  child: ResumeState | null
}

export interface ParentRef { row: Row, from: ResumeState | null, index: number, key: string }

export interface FanOutInput {
  decl: FanOutDecl
  state: FanOutState | null
  /** Static parent rows, when the source supplies them. */
  staticParents?: readonly Row[]
  /** Pages of the parent endpoint from a state (when parents come from the catalog). */
  parentPages?: (from: ResumeState | null) => AsyncIterable<Page>
  /** Child pages for one parent, from the child state. */
  childPages: (parent: ParentRef, childState: ResumeState | null, signal: AbortSignal) => AsyncIterable<Page>
  signal: AbortSignal
  /** Child pages buffered ahead per parent. */
  lookahead: number
  /** Called when the parent at the resume position is not the one the state names (its child restarts). */
  onResumeMismatch?: (expectedKey: string, parent: ParentRef) => void
}

export function parentKeyName (parent: string, field: string): string {
  return `_${parent}_${field.replaceAll('.', '_')}`
}

/**
 * How a declaration decorates its child rows, worked out once: each parent field's final column name
 * (after the renames). `columns` is null when the renames reach further (a child field, a chain, two
 * fields on one name); those rows take the general path.
 */
interface Decoration {
  fields: readonly string[]
  /** In assignment order: final column name, the `_<parent>_<field>` name it replaces, the index of its field. */
  columns: Array<{ name: string, before: string, value: number }> | null
}

const decorations = new WeakMap<FanOutDecl, Decoration>()

function decorationOf (decl: FanOutDecl): Decoration {
  let decoration = decorations.get(decl)
  if (decoration !== undefined) return decoration
  const fields = decl.includeFromParent ?? []
  const renames = decl.renames ?? {}
  const befores = fields.map((field) => parentKeyName(decl.parent, field))
  const names = befores.map((before) => renames[before] ?? before)
  const simple = Object.keys(renames).every((from) => befores.includes(from)) &&
    Object.values(renames).every((to) => !Object.hasOwn(renames, to) || renames[to] === to) &&
    new Set(names).size === names.length &&
    names.every((name, i) => name === befores[i] || !befores.includes(name))
  // Spread-add-rename appended the unrenamed columns first, then each rename's target in the renames' order
  // (a rename to the same name leaves its column where it was).
  const renameOrder = Object.keys(renames).filter((from) => renames[from] !== from)
  const order = fields.map((_, i) => i).sort((a, b) => rank(befores[a]) - rank(befores[b]))
  function rank (before: string | undefined): number { return renameOrder.indexOf(before ?? '') }
  decoration = { fields, columns: simple ? order.map((i) => ({ name: names[i] as string, before: befores[i] as string, value: i })) : null }
  decorations.set(decl, decoration)
  return decoration
}

/** The general path: a copy built as spreading, adding and renaming (with `delete`) would build it, without deleting. */
function decorateByCopy (row: Row, values: readonly unknown[], decl: FanOutDecl, fields: readonly string[]): Row {
  const entries = new Map<string, unknown>(Object.entries(row))
  fields.forEach((field, i) => entries.set(parentKeyName(decl.parent, field), values[i]))
  for (const [from, to] of Object.entries(decl.renames ?? {})) {
    if (!entries.has(from)) continue
    const value = entries.get(from)
    if (to !== from) entries.delete(from)
    entries.set(to, value)
  }
  return Object.fromEntries(entries)
}

/**
 * Decorates the child rows of one parent with the parent fields (`_<parent>_<field>`, then the declared
 * renames), appended last. Rows are changed in place (they come fresh from JSON.parse): assigning the
 * final names keeps them fast objects, where spreading and `delete` made every row a dictionary.
 * Returns the decorated row (a copy only on the general path).
 */
export function childRowDecorator (parentRow: Row, decl: FanOutDecl): ((row: Row) => Row) | undefined {
  const decoration = decorationOf(decl)
  if (decoration.fields.length === 0 && decl.renames === undefined) return undefined
  const values = decoration.fields.map((field) => getPath(parentRow, field))
  const columns = decoration.columns
  if (columns === null) return (row) => decorateByCopy(row, values, decl, decoration.fields)
  return (row) => {
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i] as { name: string, before: string, value: number }
      // A child that already has the pre-rename name would lose it to the rename: the general path.
      if (column.before !== column.name && column.before in row) return decorateByCopy(row, values, decl, decoration.fields)
    }
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i] as { name: string, value: number }
      row[column.name] = values[column.value]
    }
    return row
  }
}

/** The top-level names a text page's decoration must know are absent from its rows (its columns and their pre-rename names). */
export function decorationNames (decl: FanOutDecl): string[] {
  const columns = decorationOf(decl).columns
  return columns === null ? [] : [...new Set(columns.flatMap((column) => [column.name, column.before]))]
}

/**
 * The same decoration on a page kept as text (raw-rows.ts): the final columns appended to each row's
 * text, or undefined where the text cannot say what the objects would be (a general-path declaration,
 * or a row that may hold one of the names), so that the page is parsed and decorated as objects.
 */
function rawDecorator (parentRow: Row, decl: FanOutDecl, decorate: (row: Row) => Row): ((raw: RawRows) => RawRows | undefined) | undefined {
  const decoration = decorationOf(decl)
  const columns = decoration.columns
  if (columns === null) return undefined
  const values = decoration.fields.map((field) => getPath(parentRow, field))
  const added = columns.map((column) => [column.name, values[column.value]] as const)
  const conflicts = columns.filter((column) => column.before !== column.name).map((column) => column.before)
  return (raw) => raw.withColumns(added, conflicts, decorate)
}

/** Child row with parent fields (`_<parent>_<field>`) and the declared renames applied (in place where possible). */
export function decorateChildRow (row: Row, parentRow: Row, decl: FanOutDecl): Row {
  return childRowDecorator(parentRow, decl)?.(row) ?? row
}

function resolvedKey (row: Row, decl: FanOutDecl): string {
  const value = getPath(row, decl.resolveField)
  return value === undefined || value === null ? '' : String(value)
}

async function * parentsOf (input: FanOutInput): AsyncGenerator<ParentRef> {
  const start = input.state ?? { parentFrom: null, parentIndex: 0, parentKey: null, child: null }
  if (input.staticParents !== undefined) {
    for (let index = start.parentIndex; index < input.staticParents.length; index++) {
      const row = input.staticParents[index] as Row
      yield { row, from: null, index, key: resolvedKey(row, input.decl) }
    }
    return
  }
  if (input.parentPages === undefined) return
  let from = start.parentFrom
  let first = true
  for await (const page of input.parentPages(from)) {
    for (let index = first ? start.parentIndex : 0; index < page.rows.length; index++) {
      const row = page.rows[index] as Row
      yield { row, from, index, key: resolvedKey(row, input.decl) }
    }
    first = false
    if (page.state === null) return
    from = page.state
  }
}

/**
 * A fan-out state as resume state: short keys, defaults left out (`from` null, `key` null, `child` null),
 * since a state line follows every child page.
 */
export interface FanOutStateData {
  from?: ResumeState
  index: number
  key?: string
  child?: ResumeState
}

export function fanOutStateData (state: FanOutState): FanOutStateData {
  const out: FanOutStateData = { index: state.parentIndex }
  if (state.parentFrom !== null) out.from = state.parentFrom
  if (state.parentKey !== null) out.key = state.parentKey
  if (state.child !== null) out.child = state.child
  return out
}

/**
 * Progress of a fan-out: child pages emitted, and the sum of every parent's child totals once all
 * parents are known (a static list, or the parent endpoint read to its end) and each child stated its
 * total or ended (then its pages and rows are exact). A resumed fan-out cannot know what came before
 * its resume point, so it states no totals.
 */
class FanOutProgress {
  readonly #children: Array<{ pages?: number, rows?: number }> = []
  #emitted = 0
  parentCount: number | undefined

  constructor (readonly knowable: boolean, staticCount: number | undefined) {
    this.parentCount = staticCount
  }

  /** Child pages of the parent opened `ordinal`-th, recording its totals as they are read (ahead of emission). */
  async * record (ordinal: number, pages: AsyncIterable<Page>): AsyncGenerator<Page> {
    let rows = 0
    this.#children[ordinal] = {}
    for await (const page of pages) {
      rows += rowCount(page)
      const progress = page.progress
      this.#children[ordinal] = page.state === null
        ? { pages: progress?.pages, rows }
        : { pages: progress?.totalPages, rows: progress?.totalRows }
      yield page
    }
  }

  emitted (): PageProgress {
    this.#emitted++
    const progress: PageProgress = { pages: this.#emitted }
    const count = this.parentCount
    if (!this.knowable || count === undefined || this.#children.length < count) return progress
    let pages: number | undefined = 0
    let rows: number | undefined = 0
    for (let i = 0; i < count; i++) {
      const child = this.#children[i]
      pages = pages === undefined || child?.pages === undefined ? undefined : pages + child.pages
      rows = rows === undefined || child?.rows === undefined ? undefined : rows + child.rows
    }
    if (pages !== undefined) progress.totalPages = Math.max(pages, this.#emitted)
    if (rows !== undefined) progress.totalRows = rows
    return progress
  }
}

export async function * fanOutPages (input: FanOutInput): AsyncGenerator<Page & { state: { v: 2, fanout: FanOutStateData } | null }> {
  const { decl } = input
  const concurrency = decl.concurrency ?? DEFAULT_FANOUT_CONCURRENCY
  const resume = input.state
  const parents = parentsOf(input)[Symbol.asyncIterator]()
  const window: Array<{ parent: ParentRef, pages: LookAhead<Page>, controller: AbortController }> = []
  let parentsDone = false
  let opened = 0
  const tally = new FanOutProgress(resume === null, input.staticParents?.length)
  const open = (parent: ParentRef): void => {
    const atResume = resume !== null && parent.from === resume.parentFrom && parent.index === resume.parentIndex
    const resumesHere = atResume && (resume.parentKey === null || resume.parentKey === parent.key)
    if (atResume && !resumesHere && resume.parentKey !== null) input.onResumeMismatch?.(resume.parentKey, parent)
    const controller = new AbortController()
    const signal = AbortSignal.any([input.signal, controller.signal])
    setMaxListeners(0, signal)
    const pages = new LookAhead(tally.record(opened++, input.childPages(parent, resumesHere ? resume.child : null, signal)), input.lookahead)
    window.push({ parent, pages, controller })
  }
  try {
    for (;;) {
      while (!parentsDone && window.length < concurrency) {
        const next = await parents.next()
        if (next.done === true) {
          parentsDone = true
          tally.parentCount = opened
        } else open(next.value)
      }
      const current = window.shift()
      if (current === undefined) break
      const { parent } = current
      const decorate = childRowDecorator(parent.row, decl)
      const decorateRaw = decorate === undefined ? (raw: RawRows) => raw : rawDecorator(parent.row, decl, decorate)
      try {
        for await (const page of current.pages) {
          const fanout: FanOutState = page.state === null
            ? { parentFrom: parent.from, parentIndex: parent.index + 1, parentKey: null, child: null }
            : { parentFrom: parent.from, parentIndex: parent.index, parentKey: parent.key, child: page.state }
          const state = { v: 2 as const, fanout: fanOutStateData(fanout) }
          const raw = rawRowsOf(page)
          const decoratedRaw = raw === undefined ? undefined : decorateRaw?.(raw)
          if (decoratedRaw !== undefined) {
            yield lazyPage(decoratedRaw, state, tally.emitted()) as Page & { state: typeof state }
            continue
          }
          const rows = page.rows
          if (decorate !== undefined) for (let i = 0; i < rows.length; i++) rows[i] = decorate(rows[i] as Row)
          yield { rows, state, progress: tally.emitted() }
        }
      } finally {
        current.pages.close()
        current.controller.abort()
      }
    }
    // Child states never say "all parents done"; this final page does.
    yield { rows: [], state: null }
  } finally {
    for (const entry of window) { entry.pages.close(); entry.controller.abort() }
    void parents.return?.(undefined)?.catch(() => undefined)
  }
}
