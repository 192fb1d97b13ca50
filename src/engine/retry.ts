/**
 * Retry policy: which outcomes are retried and how long to wait. Waits come from `Retry-After`
 * (seconds or HTTP date), else a declared reset header, else exponential backoff with jitter.
 * The attempt loop itself lives in execute.ts and schedules every attempt through the limiter.
 */
import type { RateLimitHeaders } from './types.js'

export interface RetrySettings {
  /** Attempts per request, the first included. */
  maxAttempts: number
  /** Backoff unit: attempt n waits about min(2^(n-1) * baseDelayMs, maxBackoffMs). */
  baseDelayMs: number
  maxBackoffMs: number
  /** Never wait longer than this, whatever the server says. */
  maxWaitMs: number
}

export const DEFAULT_RETRY: RetrySettings = {
  maxAttempts: 5,
  baseDelayMs: 1_000,
  maxBackoffMs: 60_000,
  maxWaitMs: 300_000
}

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504])

/** Exponential backoff with ±20 % jitter for attempt `attempt` (1-based, the one that just failed). */
export function backoffMs (attempt: number, settings: RetrySettings, random: () => number = Math.random): number {
  const base = Math.min(2 ** (attempt - 1) * settings.baseDelayMs, settings.maxBackoffMs)
  return Math.min(Math.round(base * (0.8 + 0.4 * random())), settings.maxWaitMs)
}

/** `Retry-After` in milliseconds (delta seconds or an HTTP date), if present and valid. */
export function retryAfterMs (headers: Record<string, string>, now = Date.now()): number | undefined {
  const value = headers['retry-after']?.trim()
  if (value === undefined || value === '') return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** Milliseconds until the declared reset header says the window reopens. */
export function resetWaitMs (headers: Record<string, string>, declared: RateLimitHeaders | undefined, now = Date.now()): number | undefined {
  const name = declared?.reset?.toLowerCase()
  if (name === undefined) return undefined
  const raw = headers[name]
  if (raw === undefined || !/^\d+(\.\d+)?$/.test(raw.trim())) return undefined
  const n = Number(raw)
  if (declared?.resetKind === 'delta_seconds') return Math.round(n * 1000)
  return Math.max(0, Math.round(n * 1000 - now))
}

export function remainingOf (headers: Record<string, string>, declared: RateLimitHeaders | undefined): number | undefined {
  const name = declared?.remaining?.toLowerCase()
  const raw = name === undefined ? undefined : headers[name]
  if (raw === undefined || !/^\d+$/.test(raw.trim())) return undefined
  return Number(raw)
}

/** 429, or a declared rate-limit status (GitHub 403) with the remaining header at 0. */
export function isRateLimited (status: number, headers: Record<string, string>, declared: RateLimitHeaders | undefined, rateLimitStatuses: readonly number[]): boolean {
  if (status === 429) return true
  if (!rateLimitStatuses.includes(status)) return false
  if (remainingOf(headers, declared) === 0) return true
  return headers['retry-after'] !== undefined
}

/** How long to wait before retrying a response: server-given first, then backoff; capped. */
export function waitBeforeRetry (attempt: number, headers: Record<string, string>, declared: RateLimitHeaders | undefined,
  settings: RetrySettings, now = Date.now()): { ms: number, reason: 'retry_after' | 'reset_header' | 'backoff' } {
  const after = retryAfterMs(headers, now)
  if (after !== undefined) return { ms: Math.min(after, settings.maxWaitMs), reason: 'retry_after' }
  const reset = resetWaitMs(headers, declared, now)
  if (reset !== undefined) return { ms: Math.min(reset, settings.maxWaitMs), reason: 'reset_header' }
  return { ms: backoffMs(attempt, settings), reason: 'backoff' }
}

/**
 * A vendor's per-response retry hint (Stripe's `Stripe-Should-Retry: true|false`), when the client declares
 * the header: true or false, or undefined when the header is absent or says something else.
 */
export function retryHint (headers: Record<string, string>, header: string | undefined): boolean | undefined {
  if (header === undefined) return undefined
  const value = headers[header.toLowerCase()]?.trim().toLowerCase()
  return value === 'true' ? true : value === 'false' ? false : undefined
}
