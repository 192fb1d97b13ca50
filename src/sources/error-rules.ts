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

export function matchErrorRule (rules: readonly ErrorRule[], error: AppError): ErrorRule | undefined {
  const upstream = error instanceof UpstreamHttpError ? error : undefined
  const vendor = upstream?.vendorMessage?.toLowerCase() ?? ''
  return rules.find((rule) => listed(rule.code, error.code) && listed(rule.status, upstream?.status) &&
    (rule.vendorMessage === undefined || vendor.includes(rule.vendorMessage.toLowerCase())))
}

/** How the first matching rule describes `error`; null when no rule matches. */
export function describeError (rules: readonly ErrorRule[], error: AppError): ErrorDescription | null {
  const rule = matchErrorRule(rules, error)
  if (rule === undefined) return null
  return { message: rule.message?.replaceAll('{error}', error.message) ?? error.message, retryable: rule.retryable ?? false }
}
