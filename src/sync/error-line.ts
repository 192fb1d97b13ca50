/**
 * A failure after the stream started becomes its terminal `error` line. The message goes through the
 * source's non-retryable map (ordered; first case-insensitive substring match wins): a match makes the
 * line `retryable: false` and, when the map gives one, replaces the message with the friendly words.
 */
import { AppError, InternalError } from '../errors.js'
import { matchNonRetryableError } from '../sources/registry.js'
import type { AnySource } from '../sources/types.js'
import type { ErrorLine } from './lines.js'

export function errorLineFor (error: unknown, source: AnySource, state: string | null): ErrorLine {
  if (!(error instanceof AppError) || error instanceof InternalError) {
    // Unexpected failures say nothing internal; like PostHog, anything not known to be permanent is retried.
    return { type: 'error', code: 'INTERNAL', message: 'An internal error occurred.', retryable: true, state }
  }
  const permanent = matchNonRetryableError(source, error.message)
  if (permanent !== null) {
    return { type: 'error', code: error.code, message: permanent.message, retryable: false, state }
  }
  return { type: 'error', code: error.code, message: error.message, retryable: error.retryable, state }
}
