/**
 * The Typeform endpoint catalog, as definition data (see api_inventory.md for where each fact was
 * checked). Forms, workspaces and themes are account-level lists by page number with a page count in
 * the body; responses fan out over the forms and walk each form newest first with the `before` token.
 */
import type { DefinitionEndpoint, EndpointDefaults, EndpointVariant } from '../definition.js'

export const DEFAULT_API_BASE_URL = 'https://api.typeform.com'
/** Typeform's data centers: tokens are only valid on the one that holds the account. */
export const API_BASE_URLS = [
  { label: 'US data center (api.typeform.com)', value: DEFAULT_API_BASE_URL },
  { label: 'EU data center (api.eu.typeform.com)', value: 'https://api.eu.typeform.com' },
  { label: 'EU data center (api.typeform.eu)', value: 'https://api.typeform.eu' }
] as const

/** The form's `response_types` choices and the `response_type` param each one sends. */
export const RESPONSE_TYPES = {
  completed: 'completed',
  all: 'completed,partial,started'
} as const

/** Largest pages the APIs allow: 200 for the Create API lists, 1000 for responses. */
export const LIST_PAGE_SIZE = 200
export const RESPONSES_PAGE_SIZE = 1000

/**
 * 2 requests per second per account, across the Create and Responses APIs. The 429 carries no wait hint,
 * so the limiter must pace the sync: its window counts a request until its answer has arrived and for
 * a second after, which keeps any second at Typeform within 2 however the network delays requests.
 */
export const TYPEFORM_BUDGET = { reservoir: 2, intervalMs: 1000 }

/** Every list shares the Create API's page-number contract: `page` from 1, `{ total_items, page_count, items }`. */
export const TYPEFORM_DEFAULTS = {
  paginator: { type: 'page_number', pageParam: 'page', totalPagesPath: 'page_count' },
  pageSize: { param: 'page_size', value: LIST_PAGE_SIZE },
  dataSelector: 'items'
} as const satisfies EndpointDefaults

const landedAt = { field: 'landed_at', label: 'Landed at', type: 'datetime', param: 'since', converter: 'epoch_seconds' } as const
const submittedAt = { field: 'submitted_at', label: 'Submitted at', type: 'datetime', param: 'since', converter: 'epoch_seconds' } as const

/**
 * With partial and started responses included, Typeform filters `since`/`until` on landed_at (and
 * submitted_at is null until a response is submitted), so the incremental and partition field follow.
 */
const WITH_UNFINISHED_RESPONSES: EndpointVariant = {
  when: { field: 'response_types', is: 'all' },
  description: 'Every response of every form (completed, partial and started), newest landing first; incremental on landed_at.',
  params: { response_type: RESPONSE_TYPES.all },
  incrementalFields: [landedAt],
  partitionKey: 'landed_at'
}

export const TYPEFORM_ENDPOINTS = [
  {
    name: 'forms',
    label: 'Forms',
    description: 'Every form of the account (the list view: title, settings, links; not the questions).',
    path: '/forms',
    // Oldest first, so a form created during a sync lands on the last page instead of shifting the others.
    params: { sort_by: 'created_at', order_by: 'asc' },
    primaryKeys: ['id'],
    partitionKey: 'created_at',
    partitionMode: 'datetime',
    partitionFormat: 'month'
  },
  {
    name: 'responses',
    label: 'Responses',
    description: 'Completed responses of every form, newest submission first; incremental on submitted_at.',
    path: '/forms/{form_id}/responses',
    params: { response_type: RESPONSE_TYPES.completed },
    paginator: { type: 'last_record_cursor', recordField: 'token', param: 'before' },
    pageSize: { param: 'page_size', value: RESPONSES_PAGE_SIZE },
    // Typeform refuses since/until together with a before token: the filter bounds the first page, the
    // descending walk stops once a whole page is older than the watermark (per form).
    firstPageOnlyParams: ['since', 'until'],
    // No has-more flag and no next link: a page shorter than page_size is the form's last.
    stopOnShortPage: true,
    incrementalFields: [submittedAt],
    primaryKeys: ['form_id', 'token'],
    partitionKey: 'submitted_at',
    partitionMode: 'datetime',
    partitionFormat: 'month',
    // The before token walks in Typeform's processing order, newest first; it cannot be combined with sort.
    sortMode: 'desc',
    // A form deleted between the form list and its responses has none left to read.
    responseActions: [{ status: 404, action: 'ignore' }],
    fanOut: {
      parent: 'forms',
      resolveParam: 'form_id',
      resolveField: 'id',
      includeFromParent: ['id'],
      renames: { _forms_id: 'form_id' },
      // Two requests a second is the whole budget: more forms in flight would only queue in the limiter.
      concurrency: 2
    },
    variants: [WITH_UNFINISHED_RESPONSES]
  },
  {
    name: 'workspaces',
    label: 'Workspaces',
    description: 'Workspaces the token can see, with their form counts.',
    path: '/workspaces',
    primaryKeys: ['id']
  },
  {
    name: 'themes',
    label: 'Themes',
    description: 'Themes available to the account (visibility says private or public).',
    path: '/themes',
    primaryKeys: ['id'],
    shouldSyncDefault: false
  }
] as const satisfies readonly DefinitionEndpoint[]

export type TypeformTable = typeof TYPEFORM_ENDPOINTS[number]['name']
