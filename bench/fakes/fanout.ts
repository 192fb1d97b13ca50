/**
 * A parent → child API that enforces a request budget, as rate-limited vendors do:
 *
 *   GET /parents?page=N            Link-header list of `parents` rows ({id, name}), 100 per page
 *   GET /parents/{id}/children     `childRows` rows of one parent, a single page
 *
 * Every request waits `latencyMs` before its answer. With a budget, at most `budget` requests are
 * accepted in any sliding window of `windowMs` (counted on arrival); the rest get 429 with
 * `Retry-After` and `x-ratelimit-*` headers, at once, and are counted. Every response carries
 * `x-ratelimit-limit`, `x-ratelimit-remaining` and `x-ratelimit-reset` (epoch seconds).
 */
import { intParam, later, sendJson, type Fake } from './server.js'

export interface FanOutOptions {
  parents: number
  childRows: number
  latencyMs: number
  /** Requests per window; 0 = unlimited. */
  budget: number
  windowMs: number
}

export const DEFAULT_FANOUT: FanOutOptions = { parents: 500, childRows: 5, latencyMs: 20, budget: 0, windowMs: 1000 }

const PARENTS_PER_PAGE = 100
const CHILDREN = /^\/parents\/(\d+)\/children$/

export function createFanOutFake (initial: Partial<FanOutOptions> = {}): Fake {
  let options: FanOutOptions = { ...DEFAULT_FANOUT, ...initial }
  /** Arrival times (ms) of accepted requests still inside the window. */
  let window: number[] = []
  let head = 0
  let requests = 0
  let accepted = 0
  let rejected = 0
  let childRequests = 0
  let firstAt = 0
  let lastAt = 0
  let inFlight = 0
  let maxInFlight = 0
  /** How early (ms) the earliest-rejected request came: how far off the client's clock was from ours. */
  let maxEarlyMs = 0

  const admit = (now: number): { ok: boolean, remaining: number, resetMs: number } => {
    if (options.budget <= 0) return { ok: true, remaining: 1_000_000, resetMs: now }
    while (head < window.length && window[head]! <= now - options.windowMs) head++
    if (head > 4096) { window = window.slice(head); head = 0 }
    const used = window.length - head
    const resetMs = (used > 0 ? window[head]! : now) + options.windowMs
    if (used >= options.budget) return { ok: false, remaining: 0, resetMs }
    window.push(now)
    return { ok: true, remaining: options.budget - used - 1, resetMs }
  }

  return {
    configure (next) { options = { ...options, ...(next as Partial<FanOutOptions>) } },
    stats: () => ({ requests, accepted, rejected, childRequests, maxInFlight, maxEarlyMs, spanMs: lastAt - firstAt }),
    reset () {
      window = []; head = 0; requests = 0; accepted = 0; rejected = 0; childRequests = 0
      firstAt = 0; lastAt = 0; maxInFlight = 0; maxEarlyMs = 0
    },
    handler (req, res, url) {
      const now = performance.now()
      requests++
      const gate = admit(now)
      const limitHeaders: Record<string, string> = options.budget > 0
        ? {
            'x-ratelimit-limit': String(options.budget),
            'x-ratelimit-remaining': String(gate.remaining),
            'x-ratelimit-reset': String(Math.ceil((Date.now() + (gate.resetMs - now)) / 1000))
          }
        : {}
      if (!gate.ok) {
        rejected++
        maxEarlyMs = Math.max(maxEarlyMs, gate.resetMs - now)
        sendJson(res, 429, { message: 'API rate limit exceeded' }, {
          ...limitHeaders,
          'retry-after': String(Math.max(1, Math.ceil((gate.resetMs - now) / 1000)))
        })
        return
      }
      accepted++
      if (firstAt === 0) firstAt = now
      lastAt = now
      let status = 200
      let body: unknown
      const headers: Record<string, string> = { ...limitHeaders }
      if (url.pathname === '/parents') {
        const page = intParam(url.searchParams.get('page'), 1)
        const pages = Math.ceil(options.parents / PARENTS_PER_PAGE)
        const first = (page - 1) * PARENTS_PER_PAGE + 1
        const last = Math.min(options.parents, page * PARENTS_PER_PAGE)
        body = []
        for (let id = first; id <= last; id++) (body as unknown[]).push({ id, name: `parent-${id}` })
        if (page < pages) headers.link = `<http://${req.headers.host ?? '127.0.0.1'}/parents?page=${page + 1}>; rel="next"`
      } else {
        const match = CHILDREN.exec(url.pathname)
        const parent = match === null ? 0 : Number(match[1])
        if (parent < 1 || parent > options.parents) {
          status = 404
          body = { message: 'Not Found' }
        } else {
          childRequests++
          const rows: unknown[] = []
          for (let i = 0; i < options.childRows; i++) {
            rows.push({ id: parent * 1000 + i, parent_id: parent, value: `child ${i} of parent ${parent}`, created_at: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString() })
          }
          body = rows
        }
      }
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      later(options.latencyMs, () => {
        inFlight--
        sendJson(res, status, body, headers)
      })
    }
  }
}
