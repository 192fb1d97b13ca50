/**
 * The two-phase walk of a descending endpoint with stored watermarks (the seed's desc-source pattern).
 * An API that lists newest first (Stripe, Typeform) and filters on both bounds cannot be asked for
 * "older than earliest_value or newer than last_value" in one walk: binding both params at once asks
 * for rows that are both, which is none. So the walk runs in two phases:
 *
 *   1. `older`: rows older than `earliest_value` (the field's `earliestParam`, e.g. `created[lt]`), which
 *      finishes a first sync that was interrupted before it reached the oldest row;
 *   2. `newer`: rows newer than `last_value` (the field's `param`, e.g. `created[gt]`).
 *
 * Both bounds are exclusive by declaration, so no row is read twice. The phase and the params of the
 * newer phase travel in the resume state (`walk`), so a resumed run neither depends on the watermarks
 * the caller sends again nor repeats the older phase.
 */
import type { Endpoint, IncrementalFieldDecl, Params } from './declarations.js'
import { convertWatermark } from './incremental.js'
import { restated } from './raw-rows.js'
import type { Page, ResumeState } from './types.js'

export interface DescendingWalk {
  /** Params of the older phase (rows older than the earliest value). */
  older: Params
  /** Params of the newer phase (rows newer than the last value). */
  newer: Params
}

/** What a walk adds to the state of its pages. */
interface WalkState { phase: 'older' | 'newer', newer: Params }

function present (value: unknown): boolean {
  return value !== null && value !== undefined
}

/**
 * The walk for a run, or null when the run is a single walk: the endpoint is descending, the field filters
 * on both bounds (`param` and `earliestParam`), and the run carries both watermarks.
 */
export function descendingWalkOf (endpoint: Endpoint, field: IncrementalFieldDecl, lastValue: unknown, earliestValue: unknown,
  now = Date.now()): DescendingWalk | null {
  if (endpoint.sortMode !== 'desc' || field.param === undefined || field.earliestParam === undefined) return null
  if (!present(lastValue) || !present(earliestValue)) return null
  return {
    older: { [field.earliestParam]: convertWatermark(earliestValue, { ...field, capAtNow: false }, now) },
    newer: { [field.param]: convertWatermark(lastValue, field, now) }
  }
}

/** True when a resume state was written by a two-phase walk. */
export function isWalkState (state: ResumeState | null): boolean {
  return state !== null && state.walk !== undefined
}

function walkStateOf (state: ResumeState, bad: () => Error): WalkState {
  const walk = state.walk as Partial<WalkState> | null
  if (walk === null || typeof walk !== 'object' || (walk.phase !== 'older' && walk.phase !== 'newer')) throw bad()
  const newer = walk.newer
  if (newer === null || typeof newer !== 'object' || Array.isArray(newer) ||
    !Object.values(newer).every((v) => typeof v === 'string' || typeof v === 'number')) throw bad()
  return { phase: walk.phase, newer }
}

/** The single-walk state inside a walk state (null at a phase boundary, which carries no request). */
function innerState (state: ResumeState): ResumeState | null {
  const { walk: _walk, ...inner } = state
  return inner.next === undefined ? null : inner
}

export interface DescendingWalkInput {
  /** The walk of a fresh run (unused when resuming: the state says everything). */
  walk: DescendingWalk | null
  resume: ResumeState | null
  /** One phase: a single walk with these params, from its own state. */
  phasePages: (params: Params, from: ResumeState | null) => AsyncIterable<Page>
  badState: () => Error
}

/** Pages of both phases, each page's state carrying the phase; the older phase's last page hands over to the newer one. */
export async function * descendingWalkPages (input: DescendingWalkInput): AsyncGenerator<Page> {
  let phase: WalkState['phase']
  let newer: Params
  let from: ResumeState | null = null
  let older: Params = {}
  if (input.resume !== null) {
    ({ phase, newer } = walkStateOf(input.resume, input.badState))
    from = innerState(input.resume)
  } else if (input.walk !== null) {
    phase = 'older'
    newer = input.walk.newer
    older = input.walk.older
  } else {
    throw input.badState()
  }
  if (phase === 'older') {
    for await (const page of input.phasePages(older, from)) {
      const state: ResumeState = page.state === null
        ? { v: 1, walk: { phase: 'newer', newer } }
        : { ...page.state, walk: { phase: 'older', newer } }
      yield restated(page, state)
    }
    from = null
  }
  for await (const page of input.phasePages(newer, from)) {
    yield restated(page, page.state === null ? null : { ...page.state, walk: { phase: 'newer', newer } })
  }
}
