/**
 * A source's error rules (definition `errors`) applied to a failure: matched on the error's stable
 * `code`, its upstream `status` and, where a rule says so, a substring of the vendor's own message —
 * never on the engine's wording, so rewording an engine message cannot change retry behaviour.
 */
import { AppError, UpstreamHttpError } from '../errors.js'
import type { ErrorRule } from './definition.js'

export interface ErrorDescription {
  /** The rule's friendly message, or the error's own when the rule keeps it. */
  message: string
  retryable: boolean
}

function listed<T> (wanted: T | readonly T[] | undefined, actual: T | undefined): boolean {
  if (wanted === undefined) return true
  if (actual === undefined) return false
  return Array.isArray(wanted) ? (wanted as readonly T[]).includes(actual) : wanted === actual
}

/** What a rule's `vendorPattern` captured: a short token, or undefined when it does not match (or captured free text). */
function captured (rule: ErrorRule, vendor: string): string | undefined {
  if (rule.vendorPattern === undefined) return ''
  const group = new RegExp(rule.vendorPattern, 'i').exec(vendor)?.[1] ?? ''
  return /^[A-Za-z0-9_.:-]{1,80}$/.test(group) ? group : undefined
}

export function matchErrorRule (rules: readonly ErrorRule[], error: AppError): ErrorRule | undefined {
  const upstream = error instanceof UpstreamHttpError ? error : undefined
  const vendor = upstream?.vendorMessage ?? ''
  return rules.find((rule) => listed(rule.code, error.code) && listed(rule.status, upstream?.status) &&
    (rule.vendorMessage === undefined || vendor.toLowerCase().includes(rule.vendorMessage.toLowerCase())) &&
    captured(rule, vendor) !== undefined)
}

/** `{path}` in a rule's message: the upstream path that failed (no host, no query), e.g. `/v1/charges`. */
function fillPath (message: string, error: AppError): string {
  if (!message.includes('{path}')) return message
  let path = 'this resource'
  if (error instanceof UpstreamHttpError) {
    try { path = new URL(error.url).pathname } catch { /* not a URL: keep the generic words */ }
  }
  return message.replaceAll('{path}', path)
}

/** How the first matching rule describes `error`; null when no rule matches. */
export function describeError (rules: readonly ErrorRule[], error: AppError): ErrorDescription | null {
  const rule = matchErrorRule(rules, error)
  if (rule === undefined) return null
  const vendor = error instanceof UpstreamHttpError ? error.vendorMessage ?? '' : ''
  const message = rule.message === null
    ? error.message
    : fillPath(rule.message, error).replaceAll('{match}', captured(rule, vendor) ?? '').replaceAll('{error}', error.message)
  return { message, retryable: rule.retryable ?? false }
}
