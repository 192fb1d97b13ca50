/**
 * One sync stream: a SourceResponse's pages become NDJSON lines. Schema line first; each page's rows as
 * record lines, then (when the page was written whole and the resource is not exhausted) a state line
 * carrying a resume token; engine events as log lines; exactly one terminal line. Pages are pulled
 * one at a time and each write waits for the client to drain, so a slow reader slows the engine.
 */
import type { Logger } from 'pino'
import type { IncrementalFieldDecl } from '../engine/declarations.js'
import { comparable } from '../engine/incremental.js'
import { createWatermarkTracker, rawRowsOf, type WatermarkTracker } from '../engine/index.js'
import type { EngineEvent, Page } from '../engine/types.js'
import type { AnySource, SourceResponse } from '../sources/types.js'
import { errorLineFor } from './error-line.js'
import type { EndLine, ErrorLine, LogLine, SchemaLine, StateLine } from './lines.js'
import type { NdjsonWriter } from './ndjson-writer.js'
import { PROGRESS_LOG_INTERVAL_MS, ProgressLog, progressOf } from './progress.js'
import type { ResumeBinding, ResumeTokens, Watermarks } from './resume-state.js'

export interface SyncLimits {
  maxRows?: number
  maxPages?: number
}

export type SyncOutcome = 'completed' | 'limit_reached' | 'failed' | 'shutdown' | 'client_gone'

export interface SyncStreamInput {
  source: AnySource
  binding: ResumeBinding
  /** Signs the state lines' tokens. */
  tokens: ResumeTokens
  response: SourceResponse
  /** The incremental field the run tracks watermarks of (null: full refresh). */
  incremental: IncrementalFieldDecl | null
  /** The resume token this run started from, and what it carried. */
  resumedFrom: { token: string, watermarks: Watermarks } | null
  limits: SyncLimits
  writer: NdjsonWriter
  /** Aborts the engine run; aborted by the caller on disconnect and shutdown, and here when the stream ends. */
  run: AbortController
  /** Aborted when the service shuts down (reason: ServiceUnavailableError). */
  shutdown: AbortSignal
  events: EventLines
  log: Logger
  /** Called after each page is written, with its row count (metrics). */
  onPage?: (rows: number) => void
  /** Least time between two `progress` log lines (default PROGRESS_LOG_INTERVAL_MS). */
  progressLogIntervalMs?: number
}

export interface SyncSummary {
  outcome: SyncOutcome
  rows: number
  pages: number
  terminal: EndLine | ErrorLine | null
}

/** Engine events → log lines. Events before the schema line are held back; after the terminal line, dropped. */
export class EventLines {
  #writer: NdjsonWriter | undefined
  readonly #held: LogLine[] = []

  readonly onEvent = (event: EngineEvent): void => {
    const line: LogLine = { ...event, type: 'log', level: event.level, event: event.event }
    if (this.#writer === undefined) this.#held.push(line)
    else this.#writer.writeNow(line)
  }

  attach (writer: NdjsonWriter): void {
    this.#writer = writer
    for (const line of this.#held.splice(0)) writer.writeNow(line)
  }
}

export function schemaLineOf (response: SourceResponse, binding: ResumeBinding): SchemaLine {
  return {
    type: 'schema',
    name: response.name,
    primary_keys: response.primaryKeys,
    partition_mode: response.partitionMode,
    partition_keys: response.partitionKeys,
    partition_format: response.partitionFormat,
    partition_count: response.partitionCount,
    partition_size: response.partitionSize,
    sort_mode: response.sortMode,
    table_format: response.tableFormat,
    sync_type: binding.syncType,
    incremental_field: binding.incrementalField
  }
}

/** Max/min over two sets of watermarks, compared as the field's type; values keep their original form. */
function mergeWatermarks (field: IncrementalFieldDecl, a: Watermarks, tracker: WatermarkTracker): Watermarks {
  const pick = (x: unknown, y: unknown, wantMax: boolean): string | number | null => {
    const kx = comparable(x, field.type)
    const ky = comparable(y, field.type)
    const vx = typeof x === 'string' || typeof x === 'number' ? x : null
    const vy = typeof y === 'string' || typeof y === 'number' ? y : null
    if (Number.isNaN(kx)) return Number.isNaN(ky) ? null : vy
    if (Number.isNaN(ky)) return vx
    return (wantMax ? ky > kx : ky < kx) ? vy : vx
  }
  return {
    lastValue: pick(a.lastValue, tracker.lastValue, true),
    earliestValue: pick(a.earliestValue, tracker.earliestValue, false)
  }
}

const NO_WATERMARKS: Watermarks = { lastValue: null, earliestValue: null }

export async function streamSync (input: SyncStreamInput): Promise<SyncSummary> {
  const { writer, binding, limits, run } = input
  const tracker = input.incremental === null ? null : createWatermarkTracker(input.incremental)
  const carried = input.resumedFrom?.watermarks ?? NO_WATERMARKS
  const watermarks = (): Watermarks => input.incremental === null || tracker === null
    ? NO_WATERMARKS
    : mergeWatermarks(input.incremental, carried, tracker)

  let lastState: string | null = input.resumedFrom?.token ?? null
  let rows = 0
  let pages = 0
  let outcome: SyncOutcome = 'completed'
  let terminal: EndLine | ErrorLine | null = null

  const progressLog = new ProgressLog(input.progressLogIntervalMs ?? PROGRESS_LOG_INTERVAL_MS, input.resumedFrom !== null)

  await writer.write(schemaLineOf(input.response, binding))
  input.events.attach(writer)

  const iterator = input.response.pages[Symbol.asyncIterator]()
  try {
    for (;;) {
      if (run.signal.aborted) throw run.signal.reason
      const step: IteratorResult<Page> = await iterator.next()
      if (step.done === true) break
      const page = step.value
      pages++
      const room = limits.maxRows === undefined ? Infinity : limits.maxRows - rows
      // A page kept as text (the engine's raw-rows.ts) is written from its text, its watermark read off it.
      const raw = rawRowsOf(page)
      const watched = tracker === null || input.incremental === null ? undefined : raw?.values.get(input.incremental.field)
      const text = raw !== undefined && (tracker === null || watched !== undefined) ? raw : undefined
      const count = text?.count ?? page.rows.length
      const n = Math.min(count, room)
      let write: (after?: StateLine) => Promise<void>
      if (text !== undefined) {
        if (tracker !== null) for (let i = 0; i < n; i++) tracker.observeValue(watched?.[i])
        write = async (after) => { await writer.writeRawRecords(text, n, after) }
      } else {
        const written = n < count ? page.rows.slice(0, n) : page.rows
        if (tracker !== null) for (const row of written) tracker.observe(row)
        write = async (after) => { await writer.writeRecords(written, after) }
      }
      const whole = n === count
      // The page's records and its state line go out as one chunk.
      const state = whole && page.state !== null ? input.tokens.encode(binding, { engine: page.state, watermarks: watermarks() }) : null
      const progress = state === null ? null : progressOf(page, rows + n, pages)
      await write(state === null || progress === null ? undefined : { type: 'state', state, rows: progress.rows, progress })
      if (writer.clientGone) throw run.signal.reason ?? new Error('client gone')
      rows += n
      input.onPage?.(n)
      if (state !== null) lastState = state
      const eta = progress === null ? null : progressLog.after(progress, pages)
      if (eta !== null) writer.writeNow(eta)
      const rowCap = limits.maxRows !== undefined && rows >= limits.maxRows && (!whole || page.state !== null)
      const pageCap = limits.maxPages !== undefined && pages >= limits.maxPages && page.state !== null
      if (rowCap || pageCap) {
        outcome = 'limit_reached'
        writer.writeNow({
          type: 'log',
          level: 'info',
          event: 'preview_limit_reached',
          ...(rowCap ? { max_rows: limits.maxRows } : { max_pages: limits.maxPages }),
          rows,
          pages
        })
        break
      }
    }
    const end = watermarks()
    terminal = { type: 'end', rows, last_value: end.lastValue, earliest_value: end.earliestValue }
    await writer.finish(terminal)
  } catch (error) {
    if (writer.clientGone) {
      outcome = 'client_gone'
      writer.abandon()
    } else if (input.shutdown.aborted) {
      outcome = 'shutdown'
      terminal = errorLineFor(input.shutdown.reason, input.source, lastState)
      await writer.finish(terminal)
    } else {
      outcome = 'failed'
      terminal = errorLineFor(error, input.source, lastState)
      if (terminal.code === 'INTERNAL') input.log.error({ err: error }, 'sync failed unexpectedly')
      await writer.finish(terminal)
    }
  } finally {
    run.abort(new Error('sync stream ended'))
    void Promise.resolve(iterator.return?.()).catch(() => undefined)
  }
  return { outcome, rows, pages, terminal }
}
