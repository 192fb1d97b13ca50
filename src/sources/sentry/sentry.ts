/**
 * Sentry hooks: what the definition cannot say as data. Pagination, fan-out, windows, retries and
 * rate-limit waits are the engine's.
 */
import { ValidationError } from '../../errors.js'
import type { AnyConfig, SourceHooks } from '../rest-source.js'
import type { Row } from '../../engine/index.js'

/** Sentry's organisation slug rule: lower-case letters, digits, `-` and `_`, not only digits, at most 50. */
const SLUG = /^(?![0-9]+$)[a-z0-9][a-z0-9_-]{0,49}$/
/** Sentry hosts whose first label is a data region or the bare product, never an organisation. */
const NOT_AN_ORG = new Set(['us', 'de', 'www', 'api'])

/**
 * The organisation slug from what people paste: the slug itself, a customer-domain URL
 * (`https://acme.sentry.io/…`) or an organisation URL (`https://sentry.io/organizations/acme/…`, also on a
 * region or self-hosted host). Throws a ValidationError naming the field when no slug can be read.
 */
export function parseOrganizationSlug (value: string): string {
  const text = value.trim()
  const fail = (why: string): never => {
    throw new ValidationError([{ path: '/config/organization_slug', message: `${why}; give the organization slug (e.g. acme) or its URL (https://acme.sentry.io/)` }])
  }
  if (text === '') fail('must not be empty')
  let candidate = text
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let url: URL
    try { url = new URL(text) } catch { return fail(`is not a valid URL: ${JSON.stringify(text.slice(0, 120))}`) }
    const path = url.pathname.split('/').filter((p) => p !== '')
    const at = path.indexOf('organizations')
    const labels = url.hostname.toLowerCase().split('.')
    if (at >= 0 && path[at + 1] !== undefined) candidate = decodeURIComponent(path[at + 1] as string)
    else if (labels.length === 3 && labels[1] === 'sentry' && labels[2] === 'io' && !NOT_AN_ORG.has(labels[0] as string)) candidate = labels[0] as string
    else fail(`names no organization: ${JSON.stringify(text.slice(0, 120))}`)
  }
  const slug = candidate.toLowerCase()
  if (!SLUG.test(slug)) fail(`is not an organization slug: ${JSON.stringify(candidate.slice(0, 120))}`)
  return slug
}

/** `https://sentry.io/api/0/` and `https://sentry.io` name the same API: endpoint paths carry `/api/0`. */
export function normaliseApiBaseUrl (value: unknown): unknown {
  if (typeof value !== 'string') return value
  return value.trim().replace(/\/+$/, '').replace(/\/api\/0$/i, '')
}

/**
 * A client key as Sentry lists it, without the legacy secret key (`secret`, and the `dsn.secret` URL that
 * embeds it): SDKs no longer use it, and a warehouse table should not hold a credential.
 */
export function withoutKeySecret (row: Row): Row {
  const dsn = row.dsn
  return {
    ...row,
    secret: null,
    dsn: dsn !== null && typeof dsn === 'object' && !Array.isArray(dsn) ? { ...dsn, secret: null } : dsn ?? null
  }
}

export const sentryHooks: SourceHooks = {
  // A pasted organisation URL comes in two shapes (customer domain or /organizations/<slug>/ path) and must be
  // reduced to the slug, or refused with a 400 naming the field; parsing a URL is code, not a declaration.
  normaliseConfig: (config: AnyConfig) => ({
    ...config,
    organization_slug: parseOrganizationSlug(String(config.organization_slug ?? '')),
    ...(config.api_base_url === undefined ? {} : { api_base_url: normaliseApiBaseUrl(config.api_base_url) })
  }),
  // Sentry returns each key's legacy secret alongside its public DSN; no declaration can mask a nested value.
  transformRow: { project_client_keys: withoutKeySecret }
}
