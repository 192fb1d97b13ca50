/**
 * The Klaviyo endpoint catalog, as definition data (see api_inventory.md for where each fact was
 * checked). Every table reads a JSON:API collection (`data`), follows `links.next` and is flattened by
 * the engine (attributes at the top level, relationships as ids). Each endpoint has its own rate-limit
 * class, because Klaviyo counts burst and steady windows per endpoint.
 */
import type { RateBudget } from '../../engine/client-options.js'
import type { DefinitionEndpoint, EndpointDefaults } from '../definition.js'

export const DEFAULT_API_BASE_URL = 'https://a.klaviyo.com'
/** The API revision every request pins (`revision` header); page sizes and filters below are this revision's. */
export const KLAVIYO_REVISION = '2026-04-15'
export const JSON_API_MEDIA_TYPE = 'application/vnd.api+json'

/** A burst (1 s) and a steady (1 min) window, as Klaviyo's `x-klaviyo-ratelimit` states them. */
function windows (perSecond: number, perMinute: number): RateBudget[] {
  return [{ reservoir: perSecond, intervalMs: 1_000 }, { reservoir: perMinute, intervalMs: 60_000 }]
}

/** Budgets by rate-limit class (= endpoint). `default` is the accounts budget: only the credential check uses it. */
export const KLAVIYO_BUDGETS = {
  default: windows(1, 15),
  profiles: windows(75, 750),
  events: windows(350, 3_500),
  campaigns: windows(10, 150),
  flows: windows(3, 60),
  lists: windows(75, 750),
  segments: windows(75, 750),
  metrics: windows(10, 150),
  templates: windows(75, 750),
  tags: windows(3, 60),
  list_profiles: windows(75, 750),
  segment_profiles: windows(75, 750)
} satisfies Record<string, RateBudget[]>

/**
 * Every collection: JSON:API rows under `data`, the next page at `links.next`, rows flattened, keyed by
 * `id`. A `partitionKey` (a creation time) means datetime partitions by month.
 */
export const KLAVIYO_DEFAULTS = {
  dataSelector: 'data',
  paginator: { type: 'next_url', path: 'links.next' },
  flatten: { hoist: ['attributes'], relationshipIds: ['relationships'], omit: ['links'] },
  primaryKeys: ['id']
} as const satisfies EndpointDefaults

/** Incremental on a datetime attribute through Klaviyo's filter syntax (datetimes unquoted). */
function since (field: string, operator: 'greater-than' | 'greater-or-equal', label: string) {
  return { field, label, type: 'datetime', param: 'filter', converter: { template: `${operator}(${field},{value})` } } as const
}

/** Campaigns need a channel filter on every request; the incremental filter is and-ed with it. */
function campaignsOf (channel: 'email' | 'sms') {
  const channelFilter = `equals(messages.channel,'${channel}')`
  return {
    path: '/api/campaigns',
    params: { filter: channelFilter, sort: 'updated_at' },
    incrementalFields: [{
      field: 'updated_at',
      label: 'Updated at',
      type: 'datetime',
      param: 'filter',
      converter: { template: `and(${channelFilter},greater-or-equal(updated_at,{value}))` }
    }],
    partitionKey: 'created_at',
    sortMode: 'asc',
    rateLimitClass: 'campaigns'
  } as const
}

/** A list or segment deleted between reading the parents and reading its members: no members, not a failure. */
const DELETED_PARENT = { status: 404, action: 'ignore' } as const

export const KLAVIYO_ENDPOINTS = [
  {
    name: 'profiles',
    label: 'Profiles',
    description: 'Every profile in the account, incremental on `updated` (Klaviyo offers only greater-than on it).',
    path: '/api/profiles',
    params: { sort: 'updated' },
    pageSize: { param: 'page[size]', value: 100 },
    incrementalFields: [since('updated', 'greater-than', 'Updated')],
    partitionKey: 'created',
    sortMode: 'asc',
    rateLimitClass: 'profiles'
  },
  {
    name: 'events',
    label: 'Events',
    description: 'Every event (metric occurrence) with its profile_id and metric_id, incremental on `datetime`.',
    path: '/api/events',
    params: { sort: 'datetime' },
    pageSize: { param: 'page[size]', value: 1_000 },
    incrementalFields: [since('datetime', 'greater-or-equal', 'Event time')],
    addFields: { profile_id: 'relationships.profile', metric_id: 'relationships.metric' },
    // An event's time never changes: a stable partition key.
    partitionKey: 'datetime',
    sortMode: 'asc',
    rateLimitClass: 'events'
  },
  { name: 'campaigns', label: 'Email campaigns', description: 'Email campaigns (the channel filter Klaviyo requires), incremental on `updated_at`.', ...campaignsOf('email') },
  { name: 'sms_campaigns', label: 'SMS campaigns', description: 'SMS campaigns, listed by their own channel filter, incremental on `updated_at`.', ...campaignsOf('sms') },
  {
    name: 'flows',
    label: 'Flows',
    path: '/api/flows',
    params: { sort: 'updated' },
    pageSize: { param: 'page[size]', value: 50 },
    incrementalFields: [since('updated', 'greater-or-equal', 'Updated')],
    partitionKey: 'created',
    sortMode: 'asc',
    rateLimitClass: 'flows'
  },
  {
    name: 'lists',
    label: 'Lists',
    path: '/api/lists',
    params: { sort: 'updated' },
    pageSize: { param: 'page[size]', value: 10 },
    incrementalFields: [since('updated', 'greater-than', 'Updated')],
    partitionKey: 'created',
    sortMode: 'asc',
    rateLimitClass: 'lists'
  },
  {
    name: 'segments',
    label: 'Segments',
    path: '/api/segments',
    params: { sort: 'updated' },
    pageSize: { param: 'page[size]', value: 10 },
    incrementalFields: [since('updated', 'greater-than', 'Updated')],
    partitionKey: 'created',
    sortMode: 'asc',
    rateLimitClass: 'segments'
  },
  {
    name: 'metrics',
    label: 'Metrics',
    description: 'Metric (event type) definitions; full refresh: the endpoint has no date filter, sort or page size.',
    path: '/api/metrics',
    partitionKey: 'created',
    rateLimitClass: 'metrics'
  },
  {
    name: 'templates',
    label: 'Templates',
    path: '/api/templates',
    params: { sort: 'updated' },
    pageSize: { param: 'page[size]', value: 10 },
    incrementalFields: [since('updated', 'greater-or-equal', 'Updated')],
    partitionKey: 'created',
    sortMode: 'asc',
    rateLimitClass: 'templates'
  },
  {
    name: 'tags',
    label: 'Tags',
    description: 'Tags (full refresh; a tag has no timestamps).',
    path: '/api/tags',
    pageSize: { param: 'page[size]', value: 50 },
    rateLimitClass: 'tags'
  },
  {
    name: 'list_profiles',
    label: 'List members',
    description: 'The profiles of every list, one row per (list, profile) with `list_id` and `joined_group_at`; full refresh (removals leave no trace).',
    path: '/api/lists/{list_id}/profiles',
    pageSize: { param: 'page[size]', value: 100 },
    // A profile may belong to many lists.
    primaryKeys: ['list_id', 'id'],
    partitionKey: 'created',
    fanOut: { parent: 'lists', resolveParam: 'list_id', resolveField: 'id', includeFromParent: ['id'], renames: { _lists_id: 'list_id' }, concurrency: 4 },
    rateLimitClass: 'list_profiles',
    responseActions: [DELETED_PARENT],
    shouldSyncDefault: false
  },
  {
    name: 'segment_profiles',
    label: 'Segment members',
    description: 'The profiles of every segment, one row per (segment, profile) with `segment_id`; full refresh.',
    path: '/api/segments/{segment_id}/profiles',
    pageSize: { param: 'page[size]', value: 100 },
    primaryKeys: ['segment_id', 'id'],
    partitionKey: 'created',
    fanOut: { parent: 'segments', resolveParam: 'segment_id', resolveField: 'id', includeFromParent: ['id'], renames: { _segments_id: 'segment_id' }, concurrency: 4 },
    rateLimitClass: 'segment_profiles',
    responseActions: [DELETED_PARENT],
    shouldSyncDefault: false
  }
] as const satisfies readonly DefinitionEndpoint[]

export type KlaviyoTable = typeof KLAVIYO_ENDPOINTS[number]['name']
