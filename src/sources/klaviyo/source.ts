/**
 * The `Klaviyo` source: its definition (form, client, credential check, error rules) registered with
 * defineRestSource. The endpoint catalog lives in settings.ts. No hooks: JSON:API flattening, the
 * required revision header, per-endpoint burst and steady windows, and the campaigns' channel filter
 * combined with the incremental one are all declarations.
 */
import type { SourceDefinition } from '../definition.js'
import { defineRestSource } from '../rest-source.js'
import { DEFAULT_API_BASE_URL, JSON_API_MEDIA_TYPE, KLAVIYO_BUDGETS, KLAVIYO_DEFAULTS, KLAVIYO_ENDPOINTS, KLAVIYO_REVISION } from './settings.js'

export const SOURCE_NAME = 'Klaviyo'

const KEY_HINT = 'Create a private API key in Klaviyo (Settings → Account → API keys) with Read-only access to every scope, or at least the scopes of the tables you sync.'
const SCOPES_BY_TABLE = 'profiles → profiles:read; events → events:read; campaigns, sms_campaigns → campaigns:read; flows → flows:read; ' +
  'lists → lists:read; segments → segments:read; metrics → metrics:read; templates → templates:read; tags → tags:read; ' +
  'list_profiles → lists:read + profiles:read; segment_profiles → segments:read + profiles:read'

export const KLAVIYO_DEFINITION = {
  name: SOURCE_NAME,
  label: 'Klaviyo',
  caption: 'Sync profiles, events, campaigns, flows, lists, segments, metrics, templates, tags and list and segment members from Klaviyo.',
  category: 'Marketing & email',
  icon: 'icon.svg',
  docsUrl: 'https://developers.klaviyo.com/en/reference/api_overview',
  releaseStatus: 'beta',
  betaSource: true,
  keywords: ['klaviyo', 'email', 'sms', 'marketing', 'campaigns', 'profiles'],
  permissionsCaption: `A private API key with read access. Scopes by table: ${SCOPES_BY_TABLE}.`,
  suggestedTables: [{ table: 'profiles' }, { table: 'events' }, { table: 'campaigns' }],
  fields: [
    {
      type: 'password',
      name: 'api_key',
      label: 'Private API key',
      required: true,
      placeholder: 'pk_...',
      secret: true,
      caption: 'A private API key (it starts with pk_), with read access to the scopes of the tables you sync. The 6-character public key (site ID) does not work here.'
    }
  ],
  client: {
    baseUrl: { default: DEFAULT_API_BASE_URL },
    auth: { type: 'api_key', name: 'Authorization', scheme: 'Klaviyo-API-Key', key: { field: 'api_key' } },
    headers: { Accept: JSON_API_MEDIA_TYPE, revision: KLAVIYO_REVISION },
    budgets: KLAVIYO_BUDGETS,
    // On every non-429 answer, about the steady (1-minute) window; RateLimit-Reset is seconds left. A 429 carries Retry-After.
    rateLimitHeaders: { remaining: 'ratelimit-remaining', reset: 'ratelimit-reset', resetKind: 'delta_seconds' }
  },
  defaults: KLAVIYO_DEFAULTS,
  endpoints: KLAVIYO_ENDPOINTS,
  check: {
    steps: [{ path: '/api/accounts', dataSelector: 'data', expect: 'list' }],
    outcomes: [
      { status: 401, code: 'INVALID_CREDENTIALS', message: `Klaviyo rejected the API key (missing or invalid private key). Check that the whole private key (pk_...) was copied and has not been revoked. ${KEY_HINT}` },
      { status: 403, code: 'MISSING_PERMISSION', message: `The API key may not read the account (scope accounts:read is missing). ${KEY_HINT}` },
      { unexpectedBody: true, code: 'UNEXPECTED_RESPONSE', message: 'The API at {base_url} did not answer /api/accounts with a Klaviyo account list.' }
    ]
  },
  errors: [
    { status: 401, message: 'Klaviyo rejected the API key (HTTP 401: missing or invalid private key). Reconnect the source with a valid private key.' },
    { status: 403, message: `The API key lacks the read scope this table needs (HTTP 403). Scopes by table: ${SCOPES_BY_TABLE}. Give the key those scopes, or create a new read-only key.` }
  ]
} as const satisfies SourceDefinition

export const klaviyoSource = defineRestSource(KLAVIYO_DEFINITION, {}, { baseDir: new URL('.', import.meta.url) })
