/**
 * A failure after the stream started becomes its terminal `error` line. The source's error rules
 * (matched on the error's code, upstream status and vendor message; first match wins) decide the
 * friendly message and whether the line is retryable.
 */
import { AppError, InternalError } from '../errors.js'
import { describeError } from '../sources/error-rules.js'
import type { AnySource } from '../sources/types.js'
import type { ErrorLine } from './lines.js'

export function errorLineFor (error: unknown, source: AnySource, state: string | null): ErrorLine {
  if (!(error instanceof AppError) || error instanceof InternalError) {
    // Unexpected failures say nothing internal; like PostHog, anything not known to be permanent is retried.
    return { type: 'error', code: 'INTERNAL', message: 'An internal error occurred.', retryable: true, state }
  }
  const described = describeError(source.errorRules, error)
  if (described !== null) {
    return { type: 'error', code: error.code, message: described.message, retryable: described.retryable, state }
  }
  return { type: 'error', code: error.code, message: error.message, retryable: error.retryable, state }
}
