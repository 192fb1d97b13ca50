/**
 * Time windows (Airbyte's `DatetimeBasedCursor.step`): one run reads the range from the start (the
 * watermark, or the declared start) to the end (the declared end, usually now) as consecutive windows of
 * `stepSeconds`, each a walk of its own with the window's bounds in `startParam` / `endParam`. With a
 * `granularitySeconds` a window ends one granule before the next one starts, so bounds that are both
 * inclusive read no row twice.
 *
 * The range is fixed when the run starts and travels in the resume state (`slices: { i, s, e }`, epoch
 * ms), so a resumed run walks the same windows whatever "now" has become, from the window it stopped in.
 */
import type { Params, TimeWindowsDecl } from './declarations.js'
import { convertWatermark, toInstant } from './incremental.js'
import { strptime } from './interpolation/index.js'
import { restated } from './raw-rows.js'
import type { Page, ResumeState } from './types.js'

/** The range of a run, in epoch ms. */
export interface WindowRange { s: number, e: number }

interface SliceState extends WindowRange { i: number }

/** Epoch ms of a bound as the endpoint sends it (through its format), NaN when unreadable. */
export function boundInstant (value: unknown, decl: TimeWindowsDecl): number {
  const converter = decl.converter
  if (typeof value === 'string' && typeof converter === 'object' && 'format' in converter) {
    return strptime(value, converter.format)?.ms ?? Number.NaN
  }
  if (typeof value === 'number' && converter === 'epoch_millis') return value
  return toInstant(value)
}

/** The run's range from its start and end params; null when either is missing or unreadable (one walk, unsliced). */
export function windowRangeOf (decl: TimeWindowsDecl, params: Params): WindowRange | null {
  const s = boundInstant(params[decl.startParam], decl)
  const e = boundInstant(params[decl.endParam], decl)
  if (Number.isNaN(s) || Number.isNaN(e) || e < s) return null
  return { s, e }
}

/** Window `i` of a range: [start, end] in epoch ms; undefined past the range. */
export function windowAt (decl: TimeWindowsDecl, range: WindowRange, i: number): { start: number, end: number } | undefined {
  const step = decl.stepSeconds * 1000
  const granule = (decl.granularitySeconds ?? 0) * 1000
  const start = range.s + i * step
  if (i > 0 && start > range.e - granule) return undefined
  return { start, end: Math.min(start + step - granule, range.e) }
}

function format (ms: number, decl: TimeWindowsDecl): string | number {
  return convertWatermark(ms, { field: decl.startParam, type: 'datetime', capAtNow: false, ...(decl.converter === undefined ? {} : { converter: decl.converter }) })
}

/** The request params of window `i`. */
export function windowParams (decl: TimeWindowsDecl, range: WindowRange, i: number): Params | undefined {
  const window = windowAt(decl, range, i)
  if (window === undefined) return undefined
  return { [decl.startParam]: format(window.start, decl), [decl.endParam]: format(window.end, decl) }
}

/** True when a resume state was written inside a windowed run. */
export function isSliceState (state: ResumeState | null): boolean {
  return state !== null && state.slices !== undefined
}

function sliceStateOf (state: ResumeState, bad: () => Error): SliceState {
  const slices = state.slices as Partial<SliceState> | null
  if (slices === null || typeof slices !== 'object') throw bad()
  const { i, s, e } = slices
  if (!Number.isInteger(i) || (i as number) < 0 || !Number.isFinite(s) || !Number.isFinite(e) || (e as number) < (s as number)) throw bad()
  return { i: i as number, s: s as number, e: e as number }
}

export interface TimeWindowInput {
  decl: TimeWindowsDecl
  /** The range of a fresh run (unused when resuming: the state holds it). */
  range: WindowRange | null
  resume: ResumeState | null
  /** One window: a walk with these params, from its own state. */
  windowPages: (params: Params, from: ResumeState | null) => AsyncIterable<Page>
  badState: () => Error
}

/** Pages of every window in order; each page's state names its window, a window's last page hands over to the next. */
export async function * timeWindowPages (input: TimeWindowInput): AsyncGenerator<Page> {
  let range: WindowRange
  let i = 0
  let from: ResumeState | null = null
  if (input.resume !== null) {
    const state = sliceStateOf(input.resume, input.badState)
    range = { s: state.s, e: state.e }
    i = state.i
    const { slices: _slices, ...inner } = input.resume
    from = inner.next === undefined ? null : inner
  } else if (input.range !== null) {
    range = input.range
  } else {
    throw input.badState()
  }
  for (let params = windowParams(input.decl, range, i); params !== undefined; params = windowParams(input.decl, range, ++i)) {
    const last = windowAt(input.decl, range, i + 1) === undefined
    for await (const page of input.windowPages(params, from)) {
      const state: ResumeState | null = page.state !== null
        ? { ...page.state, slices: { i, ...range } }
        : last ? null : { v: 2, slices: { i: i + 1, ...range } }
      // A window's page counts say nothing of the run's (the windows to come); only the last window's do.
      yield restated(page, state, last ? page.progress : undefined)
    }
    from = null
  }
}
