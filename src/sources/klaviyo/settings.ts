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

/**
 * An account-level collection ordered and filtered by its `updated` attribute (partitioned by `created`).
 * `operator`: what the endpoint's filter offers on `updated` (profiles, lists and segments: greater-than only).
 */
function byUpdated<const N extends string> (name: N, label: string, pageSize: number, operator: 'greater-than' | 'greater-or-equal') {
  return {
    name,
    label,
    path: `/api/${name}`,
    params: { sort: 'updated' },
    pageSize: { param: 'page[size]', value: pageSize },
    incrementalFields: [since('updated', operator, 'Updated')],
    partitionKey: 'created',
    sortMode: 'asc',
    rateLimitClass: name
  } as const
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

/**
 * The profiles of every list or segment: one row per (group, profile), the group id as `list_id` /
 * `segment_id`. Full refresh: removals leave no trace a `joined_group_at` filter could see.
 */
function membersOf<const P extends 'lists' | 'segments', const N extends string> (parent: P, name: N, label: string) {
  const key = parent === 'lists' ? 'list_id' : 'segment_id'
  return {
    name,
    label,
    description: `The profiles of every ${parent.slice(0, -1)}, with \`${key}\` and \`joined_group_at\`; full refresh.`,
    path: `/api/${parent}/{${key}}/profiles`,
    pageSize: { param: 'page[size]', value: 100 },
    // A profile may belong to many lists and segments.
    primaryKeys: [key, 'id'],
    partitionKey: 'created',
    fanOut: { parent, resolveParam: key, resolveField: 'id', includeFromParent: ['id'], renames: { [`_${parent}_id`]: key }, concurrency: 4 },
    rateLimitClass: name,
    responseActions: [DELETED_PARENT],
    shouldSyncDefault: false
  } as const
}

export const KLAVIYO_ENDPOINTS = [
  { ...byUpdated('profiles', 'Profiles', 100, 'greater-than'), description: 'Every profile in the account, incremental on `updated`.' },
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
  byUpdated('flows', 'Flows', 50, 'greater-or-equal'),
  byUpdated('lists', 'Lists', 10, 'greater-than'),
  byUpdated('segments', 'Segments', 10, 'greater-than'),
  {
    name: 'metrics',
    label: 'Metrics',
    description: 'Metric (event type) definitions; full refresh: the endpoint has no date filter, sort or page size.',
    path: '/api/metrics',
    partitionKey: 'created',
    rateLimitClass: 'metrics'
  },
  byUpdated('templates', 'Templates', 10, 'greater-or-equal'),
  {
    name: 'tags',
    label: 'Tags',
    description: 'Tags (full refresh; a tag has no timestamps).',
    path: '/api/tags',
    pageSize: { param: 'page[size]', value: 50 },
    rateLimitClass: 'tags'
  },
  membersOf('lists', 'list_profiles', 'List members'),
  membersOf('segments', 'segment_profiles', 'Segment members')
] as const satisfies readonly DefinitionEndpoint[]

export type KlaviyoTable = typeof KLAVIYO_ENDPOINTS[number]['name']
