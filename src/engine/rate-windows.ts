/**
 * Several rate windows for one rate-limit class (Klaviyo: a 1-second burst and a 1-minute steady
 * window per endpoint), by composition: one SharedLimiter per window, each holding its own sliding
 * window, and a request passes through all of them — the longest window outermost, so a request
 * held by a short burst window waits briefly while counted in the long one (conservative: counted
 * requests are in flight or answered, never more than each window allows). Rate-limit headers and
 * 429 pauses reach every window.
 */
import type { SharedLimiter } from './rate-limit.js'
import type { RateBudget, RateBudgetEntry } from './client-options.js'

/** What a request needs from its limiter: one SharedLimiter, or several composed. */
export type RequestLimiter = Pick<SharedLimiter, 'schedule' | 'observe' | 'pauseUntil'>

export function budgetWindows (entry: RateBudgetEntry | undefined): readonly RateBudget[] {
  if (entry === undefined) return [{}]
  return Array.isArray(entry) ? entry : [entry as RateBudget]
}

/** Limiters in scheduling order: the longest window first (a window without an interval last). */
export function windowOrder (windows: readonly RateBudget[]): number[] {
  return windows.map((_, i) => i).sort((a, b) => (windows[b]?.intervalMs ?? 0) - (windows[a]?.intervalMs ?? 0))
}

export function composeLimiters (limiters: readonly RequestLimiter[]): RequestLimiter {
  if (limiters.length === 1) return limiters[0] as RequestLimiter
  const through = async <T>(index: number, task: () => Promise<T>, signal: AbortSignal): Promise<T> => {
    const limiter = limiters[index]
    if (limiter === undefined) return await task()
    return await limiter.schedule(async () => await through(index + 1, task, signal), signal)
  }
  return {
    schedule: async (task, signal) => await through(0, task, signal),
    observe: (headers, declared, now) => {
      let paused: number | undefined
      for (const limiter of limiters) {
        const ms = limiter.observe(headers, declared, now)
        if (ms !== undefined) paused = Math.max(paused ?? 0, ms)
      }
      return paused
    },
    pauseUntil: (until) => { for (const limiter of limiters) limiter.pauseUntil(until) }
  }
}
