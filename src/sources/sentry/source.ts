/**
 * The `Sentry` source: its definition (form, client, credential check, error rules) registered with
 * defineRestSource. The endpoint catalog lives in settings.ts, the hooks in sentry.ts.
 */
import type { SourceDefinition } from '../definition.js'
import { defineRestSource } from '../rest-source.js'
import { sentryHooks } from './sentry.js'
import { DEFAULT_API_BASE_URL, SENTRY_DEFAULTS, SENTRY_ENDPOINTS } from './settings.js'

export const SOURCE_NAME = 'Sentry'

const SCOPES_HINT = 'The token needs the scopes org:read (projects, teams, environments, monitors), project:read (releases, project events, client keys), event:read (issues, issue events) and member:read (members).'

/**
 * Request budget per token. Sentry limits each caller per endpoint in fixed windows of about a second and
 * caps concurrent requests; it publishes no numbers (the `X-Sentry-Rate-Limit-*` headers are the
 * authority, and the engine pauses at `Remaining: 0` until `Reset`). The budget stays below the
 * per-endpoint defaults seen in Sentry's source: 40 requests a second, 5 at once.
 */
export const SENTRY_BUDGET = { reservoir: 40, intervalMs: 1_000, maxConcurrent: 5 }

export const SENTRY_DEFINITION = {
  name: SOURCE_NAME,
  label: 'Sentry',
  caption: 'Sync projects, issues, events, releases, teams, members, environments and cron monitors from a Sentry organization.',
  category: 'Engineering & monitoring',
  icon: 'icon.svg',
  docsUrl: 'https://docs.sentry.io/api/',
  releaseStatus: 'beta',
  betaSource: true,
  keywords: ['sentry', 'errors', 'issues', 'events', 'monitoring', 'releases'],
  permissionsCaption: SCOPES_HINT,
  suggestedTables: [{ table: 'issues' }, { table: 'projects' }, { table: 'releases' }],
  fields: [
    {
      type: 'password',
      name: 'auth_token',
      label: 'Auth token',
      required: true,
      placeholder: 'sntryu_...',
      secret: true,
      caption: 'A personal token (User settings → Personal Tokens) or an internal integration token with the read scopes org:read, project:read, event:read and member:read.'
    },
    {
      type: 'text',
      name: 'organization_slug',
      label: 'Organization',
      required: true,
      placeholder: 'acme',
      caption: 'The organization slug, or its URL: https://acme.sentry.io/ or https://sentry.io/organizations/acme/.'
    },
    {
      type: 'url',
      name: 'api_base_url',
      label: 'API base URL',
      required: false,
      placeholder: DEFAULT_API_BASE_URL,
      caption: 'Your data region (https://us.sentry.io or https://de.sentry.io) or your self-hosted Sentry, e.g. https://sentry.example.com. Leave empty for sentry.io.'
    }
  ],
  client: {
    baseUrl: { default: DEFAULT_API_BASE_URL, field: 'api_base_url' },
    auth: { type: 'bearer', token: { field: 'auth_token' } },
    pathParams: { organization: { field: 'organization_slug' } },
    budgets: { default: SENTRY_BUDGET },
    // A 429 carries no Retry-After: the engine waits until X-Sentry-Rate-Limit-Reset (epoch seconds).
    rateLimitHeaders: { remaining: 'x-sentry-rate-limit-remaining', reset: 'x-sentry-rate-limit-reset', resetKind: 'epoch_seconds' }
  },
  defaults: SENTRY_DEFAULTS,
  endpoints: SENTRY_ENDPOINTS,
  check: {
    steps: [{ path: '/api/0/organizations/{organization}/projects/', params: { per_page: 1 }, expect: 'list' }],
    outcomes: [
      { status: 401, code: 'INVALID_CREDENTIALS', message: 'Sentry rejected the auth token (invalid, expired or revoked). Check that it was copied whole.' },
      { status: 403, code: 'MISSING_PERMISSION', message: `The token may not read this organization's projects (403): it needs the org:read scope, and its user must belong to the organization. ${SCOPES_HINT}` },
      { status: 404, code: 'ORGANIZATION_NOT_FOUND', message: 'No such organization at {base_url}: check the organization slug, and the API base URL for an organization in another data region or on a self-hosted Sentry.' }
    ]
  },
  errors: [
    { status: 401, message: 'Sentry rejected the auth token (HTTP 401). Reconnect the source with a valid token.' },
    { status: 403, message: `The token lacks a scope this table needs (HTTP 403). ${SCOPES_HINT}` },
    { status: 404, message: 'Sentry answered 404: the organization, or a project or issue of it, does not exist (check the organization slug and the API base URL).' }
  ]
} as const satisfies SourceDefinition

export const sentrySource = defineRestSource(SENTRY_DEFINITION, sentryHooks, { baseDir: new URL('.', import.meta.url) })
