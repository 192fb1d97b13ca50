/**
 * Progress of a sync stream: the `progress` object of each state line, and a `progress` log line with
 * an ETA at most every `intervalMs`, only while a total is known (an ETA from an unknown total would be
 * a guess). The ETA assumes the pace so far: pages left × time per page of this stream; with only a row
 * total, rows left × time per row (not after a resume: the rows before it are not known here).
 */
import type { Page } from '../engine/types.js'
import type { LogLine, Progress } from './lines.js'

/** Least time between two progress log lines of one stream. */
export const PROGRESS_LOG_INTERVAL_MS = 5000

export function progressOf (page: Page, rows: number, streamPages: number): Progress {
  const known = page.progress
  return {
    rows,
    pages: known?.pages ?? streamPages,
    ...(known?.totalPages === undefined ? {} : { total_pages: known.totalPages }),
    ...(known?.totalRows === undefined ? {} : { total_rows: known.totalRows })
  }
}

export class ProgressLog {
  readonly #started: number
  #last: number

  constructor (readonly intervalMs: number, readonly resumed: boolean, readonly now: () => number = Date.now) {
    this.#started = now()
    this.#last = this.#started
  }

  /** The log line due after a page (null: not yet, or no total to estimate from). */
  after (progress: Progress, streamPages: number): LogLine | null {
    const now = this.now()
    if (now - this.#last < this.intervalMs || streamPages === 0) return null
    const elapsedMs = now - this.#started
    let etaMs: number | undefined
    if (progress.total_pages !== undefined) {
      etaMs = Math.max(0, progress.total_pages - progress.pages) * elapsedMs / streamPages
    } else if (progress.total_rows !== undefined && !this.resumed && progress.rows > 0) {
      etaMs = Math.max(0, progress.total_rows - progress.rows) * elapsedMs / progress.rows
    }
    if (etaMs === undefined) return null
    this.#last = now
    return {
      type: 'log',
      level: 'info',
      event: 'progress',
      ...progress,
      elapsed_seconds: Math.round(elapsedMs / 1000),
      eta_seconds: Math.round(etaMs / 1000)
    }
  }
}
