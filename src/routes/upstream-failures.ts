/**
 * How upstream failures of the wizard's routes (validate, schemas) read to the person at the form: a
 * refused target names the form field holding the base URL, and a vendor that failed or did not answer
 * during a credential check is a 502 UPSTREAM_UNAVAILABLE that says the credential was not checked.
 */
import { BlockedTargetError, UpstreamHttpError, UpstreamNetworkError, UpstreamResponseError, UpstreamUnavailableError } from '../errors.js'
import type { AnySource } from '../sources/types.js'

/** The form field that replaces the base URL: declared, or the form's only `url` field. */
export function baseUrlField (source: AnySource): string | undefined {
  if (source.baseUrlField !== undefined) return source.baseUrlField
  const urls = (source.fields as ReadonlyArray<{ type: string, name: string }>).filter((field) => field.type === 'url')
  return urls.length === 1 ? urls[0]?.name : undefined
}

/** A BlockedTargetError names `/config/<base URL field>` when the config set that field. */
export function withTargetField (error: unknown, source: AnySource, config: Record<string, unknown>): unknown {
  if (!(error instanceof BlockedTargetError) || error.errors.length > 0) return error
  const field = baseUrlField(source)
  const value = field === undefined ? undefined : config[field]
  if (field !== undefined && typeof value === 'string' && value.trim() !== '') {
    error.errors = [{ path: `/config/${field}`, message: 'points at an origin or address this service may not call' }]
  }
  return error
}

/** A vendor failure during a credential check (5xx, 429, network, deadline) → 502 UPSTREAM_UNAVAILABLE. */
export function asUnavailable (error: unknown, source: AnySource): unknown {
  const label = source.getSourceConfig().label
  if (error instanceof UpstreamHttpError && error.retryable) {
    return new UpstreamUnavailableError(`The ${label} API failed (HTTP ${error.status}) while the credentials were checked; ` +
      'they were not checked. Try again later.', { cause: error })
  }
  if (error instanceof UpstreamNetworkError || error instanceof UpstreamResponseError) {
    return new UpstreamUnavailableError(`The ${label} API did not answer usably in time while the credentials were checked; ` +
      'they were not checked. Try again later.', { cause: error })
  }
  return error
}
