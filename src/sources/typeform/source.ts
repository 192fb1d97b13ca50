/**
 * The `Typeform` source: its definition (form, client, credential check, error rules) registered with
 * defineRestSource. The endpoint catalog lives in settings.ts. No hooks: forms by page number, responses
 * by token cursor per form, the response-type choice and the regional base URL are all data.
 */
import type { SourceDefinition } from '../definition.js'
import { defineRestSource } from '../rest-source.js'
import { API_BASE_URLS, DEFAULT_API_BASE_URL, RESPONSE_TYPES, TYPEFORM_BUDGET, TYPEFORM_DEFAULTS, TYPEFORM_ENDPOINTS } from './settings.js'

export const SOURCE_NAME = 'Typeform'

const SCOPES_HINT = 'Create the personal access token with the scopes accounts:read, forms:read, responses:read, workspaces:read and themes:read.'
const REJECTED = 'Typeform rejected the personal access token. Check that it was copied whole and has not been revoked; a token only works on the data center of its account (choose the EU data center for EU accounts).'
const missingScope = (scope: string, what: string): string => `The token may not read ${what}: it lacks the ${scope} scope. ${SCOPES_HINT}`

export const TYPEFORM_DEFINITION = {
  name: SOURCE_NAME,
  label: 'Typeform',
  caption: 'Sync forms, responses, workspaces and themes from a Typeform account.',
  category: 'Productivity',
  icon: 'icon.svg',
  docsUrl: 'https://www.typeform.com/developers/',
  releaseStatus: 'beta',
  betaSource: true,
  keywords: ['typeform', 'forms', 'surveys', 'responses'],
  permissionsCaption: SCOPES_HINT,
  suggestedTables: [{ table: 'responses' }, { table: 'forms' }],
  fields: [
    {
      type: 'password',
      name: 'auth_token',
      label: 'Personal access token',
      required: true,
      placeholder: 'tfp_...',
      secret: true,
      caption: `A personal access token from Account settings → Personal tokens. ${SCOPES_HINT}`
    },
    {
      type: 'select',
      name: 'api_base_url',
      label: 'Data center',
      required: true,
      defaultValue: DEFAULT_API_BASE_URL,
      options: API_BASE_URLS.map((o) => ({ ...o })),
      caption: 'Where the account lives. Accounts created on the EU data center use one of the EU addresses.'
    },
    {
      type: 'select',
      name: 'response_types',
      label: 'Responses to sync',
      required: true,
      defaultValue: 'completed',
      options: [
        { label: 'Completed responses only', value: 'completed' },
        { label: 'Completed, partial and started responses', value: 'all' }
      ],
      caption: `Completed responses sync incrementally on submitted_at. With partial and started responses (${RESPONSE_TYPES.all}) the responses table syncs on landed_at instead: submitted_at stays empty until a respondent submits.`
    }
  ],
  client: {
    // The data center chosen in the form; UPSTREAM_BASE_URLS (an operator's proxy) replaces it.
    baseUrl: { default: '{api_base_url}' },
    auth: { type: 'bearer', token: { field: 'auth_token' } },
    budgets: { default: TYPEFORM_BUDGET }
  },
  defaults: TYPEFORM_DEFAULTS,
  endpoints: TYPEFORM_ENDPOINTS,
  check: {
    steps: [
      { path: '/me', expect: 'object', outcomes: [{ status: 403, code: 'MISSING_PERMISSION', message: missingScope('accounts:read', 'the account') }] },
      {
        path: '/forms',
        params: { page_size: 1 },
        dataSelector: 'items',
        expect: 'list',
        outcomes: [{ status: 403, code: 'MISSING_PERMISSION', message: missingScope('forms:read', 'forms') }]
      },
      {
        // One response page of the first form, when the account has one.
        path: '/forms/{form_id}/responses',
        params: { page_size: 1 },
        fromPrevious: { path: 'items.0.id', as: 'form_id' },
        dataSelector: 'items',
        expect: 'list',
        outcomes: [{ status: 403, code: 'MISSING_PERMISSION', message: missingScope('responses:read', 'responses') }]
      }
    ],
    outcomes: [
      { status: 401, code: 'INVALID_CREDENTIALS', message: REJECTED },
      { unexpectedBody: true, code: 'UNEXPECTED_RESPONSE', message: 'The address at {base_url} did not answer like the Typeform API. Check the data center.' }
    ]
  },
  errors: [
    { status: 401, message: 'Typeform rejected the personal access token (HTTP 401). Reconnect the source with a valid token for the account\'s data center.' },
    { status: 403, message: `The token lacks a scope this table needs (HTTP 403). ${SCOPES_HINT}` }
  ]
} as const satisfies SourceDefinition

export const typeformSource = defineRestSource(TYPEFORM_DEFINITION, {}, { baseDir: new URL('.', import.meta.url) })
