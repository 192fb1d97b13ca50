/**
 * Deterministic data for the Klaviyo fake: JSON:API resources (`{ type, id, attributes, relationships,
 * links }`) as the API reference describes them, with nested objects (location, properties,
 * event_properties, send strategies) and nulls. The same counts give the same data every time.
 */
export type Json = Record<string, unknown>

export interface Resource { type: string, id: string, attributes: Json, relationships?: Json }

export interface KlaviyoDataSpec {
  profiles?: number
  events?: number
  emailCampaigns?: number
  smsCampaigns?: number
  flows?: number
  lists?: number
  segments?: number
  metrics?: number
  templates?: number
  tags?: number
}

export const DEFAULT_COUNTS: Required<KlaviyoDataSpec> = {
  profiles: 250,
  events: 1_150,
  emailCampaigns: 18,
  smsCampaigns: 7,
  flows: 62,
  lists: 23,
  segments: 13,
  metrics: 9,
  templates: 24,
  tags: 57
}

export interface KlaviyoData {
  profiles: Resource[]
  events: Resource[]
  campaigns: Resource[]
  flows: Resource[]
  lists: Resource[]
  segments: Resource[]
  metrics: Resource[]
  templates: Resource[]
  tags: Resource[]
  /** Members by list id / segment id: profile resources with `joined_group_at`. */
  listMembers: Map<string, Resource[]>
  segmentMembers: Map<string, Resource[]>
}

const START = Date.UTC(2024, 0, 1)
const HOUR = 3_600_000

/** Klaviyo's datetime format: ISO 8601 with an explicit +00:00 offset. */
function klaviyoTime (ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00')
}

/** Klaviyo ids: 26-character ULID-like for profiles/events, 6-character for lists, metrics, segments. */
function ulid (prefix: string, n: number): string {
  return `01H${prefix}${String(n).padStart(26 - 3 - prefix.length, '0')}`
}
function shortId (letter: string, n: number): string {
  return `${letter}${n.toString(36).toUpperCase().padStart(5, '0')}`
}

const FIRST = ['Sarah', 'Jamal', 'Ana', 'Wei', 'Olga', null, 'Kofi', 'Lena']
const CITIES = [{ city: 'Boston', region: 'MA', country: 'United States' }, { city: 'Lyon', region: null, country: 'France' }, { city: 'Osaka', region: 'Osaka', country: 'Japan' }]
const METRICS = ['Placed Order', 'Opened Email', 'Clicked Email', 'Received Email', 'Viewed Product', 'Active on Site', 'Started Checkout', 'Subscribed to List', 'Received SMS']

function profile (i: number): Resource {
  const created = START + i * 7 * HOUR
  const place = CITIES[i % CITIES.length] ?? CITIES[0]
  return {
    type: 'profile',
    id: ulid('PRF', i + 1),
    attributes: {
      email: i % 11 === 5 ? null : `person${i + 1}@example.com`,
      phone_number: i % 3 === 0 ? `+1617555${String(1000 + i).slice(-4)}` : null,
      external_id: i % 4 === 0 ? `ext-${i + 1}` : null,
      first_name: FIRST[i % FIRST.length] ?? null,
      last_name: i % 5 === 0 ? null : `Mason${i + 1}`,
      organization: i % 6 === 0 ? 'Klaviyo Demo' : null,
      locale: i % 2 === 0 ? 'en-US' : null,
      title: null,
      image: null,
      created: klaviyoTime(created),
      // Updated in an order unlike creation, so an updated-time filter and sort are visible.
      updated: klaviyoTime(created + ((i * 37) % 101) * 24 * HOUR),
      last_event_date: i % 7 === 0 ? null : klaviyoTime(created + 3 * HOUR),
      location: { address1: i % 2 === 0 ? `${i + 1} Summer Street` : null, address2: null, ...place, latitude: i % 3 === 0 ? null : 42.36, longitude: i % 3 === 0 ? null : -71.05, zip: i % 2 === 0 ? '02110' : null, timezone: 'America/New_York', ip: null },
      properties: i % 4 === 3 ? {} : { plan: i % 2 === 0 ? 'pro' : 'free', visits: i % 13, preferences: { sms: i % 2 === 0, topics: ['news', 'sales'].slice(0, 1 + (i % 2)) } }
    },
    relationships: { lists: {}, segments: {}, 'push-tokens': {} }
  }
}

function metric (i: number): Resource {
  return {
    type: 'metric',
    id: shortId('M', i + 1),
    attributes: {
      name: METRICS[i % METRICS.length],
      created: klaviyoTime(START - (30 - i) * 24 * HOUR),
      updated: klaviyoTime(START + i * 24 * HOUR),
      integration: i % 3 === 0 ? null : { object: 'integration', id: `int${i}`, key: i % 2 === 0 ? 'klaviyo' : 'shopify', name: i % 2 === 0 ? 'Klaviyo' : 'Shopify', category: i % 2 === 0 ? 'Internal' : 'eCommerce' }
    },
    relationships: { 'flow-triggers': {} }
  }
}

function event (i: number, profiles: readonly Resource[], metrics: readonly Resource[]): Resource {
  const at = START + i * 17 * 60_000
  const who = profiles[(i * 7) % profiles.length]
  const what = metrics[i % metrics.length]
  return {
    type: 'event',
    id: ulid('EVT', i + 1),
    attributes: {
      timestamp: Math.floor(at / 1000),
      datetime: klaviyoTime(at),
      uuid: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
      event_properties: i % 5 === 0
        ? { $event_id: `evt-${i + 1}`, $value: null }
        : { $event_id: `evt-${i + 1}`, $value: (i % 40) + 0.99, items: [{ sku: `SKU-${i % 9}`, quantity: 1 + (i % 3) }], $extra: { source: i % 2 === 0 ? 'web' : null } }
    },
    relationships: {
      profile: { data: who === undefined ? null : { type: 'profile', id: who.id } },
      metric: { data: { type: 'metric', id: what?.id } },
      attributions: { data: i % 6 === 0 ? [{ type: 'attribution', id: `attr-${i}` }] : [] }
    }
  }
}

function campaign (i: number, channel: 'email' | 'sms', tags: readonly Resource[]): Resource {
  const created = START + i * 3 * 24 * HOUR + (channel === 'sms' ? HOUR : 0)
  const sent = i % 4 !== 3
  return {
    type: 'campaign',
    id: ulid(channel === 'email' ? 'CEM' : 'CSM', i + 1),
    attributes: {
      name: `${channel === 'email' ? 'Newsletter' : 'Flash SMS'} #${i + 1}`,
      status: sent ? 'Sent' : 'Draft',
      archived: i % 9 === 8,
      audiences: { included: [shortId('L', (i % 5) + 1)], excluded: i % 2 === 0 ? [] : null },
      send_options: { use_smart_sending: i % 2 === 0 },
      tracking_options: channel === 'email' ? { add_tracking_params: false, is_tracking_clicks: true, is_tracking_opens: i % 3 !== 0 } : { add_tracking_params: true },
      send_strategy: { method: i % 3 === 0 ? 'static' : 'immediate', datetime: i % 3 === 0 ? klaviyoTime(created + 48 * HOUR) : null, options: null },
      created_at: klaviyoTime(created),
      scheduled_at: sent ? klaviyoTime(created + 24 * HOUR) : null,
      updated_at: klaviyoTime(created + ((i * 13) % 29) * 24 * HOUR),
      send_time: sent ? klaviyoTime(created + 25 * HOUR) : null
    },
    relationships: {
      'campaign-messages': { data: [{ type: 'campaign-message', id: `${channel}-msg-${i + 1}` }] },
      tags: { data: tags.slice(0, i % 3).map((t) => ({ type: 'tag', id: t.id })) }
    }
  }
}

function flow (i: number, tags: readonly Resource[]): Resource {
  const created = START + i * 5 * 24 * HOUR
  return {
    type: 'flow',
    id: shortId('F', i + 1),
    attributes: {
      name: `Flow ${i + 1}`,
      status: ['live', 'draft', 'manual'][i % 3],
      archived: i % 10 === 9,
      created: klaviyoTime(created),
      updated: klaviyoTime(created + ((i * 11) % 17) * 24 * HOUR),
      trigger_type: i % 7 === 6 ? null : ['Added to List', 'Metric', 'Date Based', 'Price Drop'][i % 4]
    },
    relationships: { 'flow-actions': {}, tags: { data: tags.slice(0, i % 2).map((t) => ({ type: 'tag', id: t.id })) } }
  }
}

function group (type: 'list' | 'segment', i: number): Resource {
  const created = START + i * 9 * 24 * HOUR
  const attributes: Json = type === 'list'
    ? { name: `List ${i + 1}`, created: klaviyoTime(created), updated: klaviyoTime(created + ((i * 5) % 13) * 24 * HOUR), opt_in_process: i % 2 === 0 ? 'double_opt_in' : 'single_opt_in' }
    : {
        name: `Segment ${i + 1}`,
        definition: i % 4 === 0 ? null : { condition_groups: [{ conditions: [{ type: 'profile-property', property: 'plan', filter: { type: 'string', operator: 'equals', value: 'pro' } }] }] },
        created: klaviyoTime(created),
        updated: klaviyoTime(created + ((i * 7) % 11) * 24 * HOUR),
        is_active: i % 5 !== 4,
        is_processing: false,
        is_starred: i % 3 === 0
      }
  return { type, id: shortId(type === 'list' ? 'L' : 'S', i + 1), attributes, relationships: { profiles: {}, tags: { data: [] }, 'flow-triggers': {} } }
}

function template (i: number): Resource {
  const created = START + i * 2 * 24 * HOUR
  const code = i % 3 === 0
  return {
    type: 'template',
    id: shortId('T', i + 1),
    attributes: {
      name: `Template ${i + 1}`,
      editor_type: code ? 'CODE' : 'SYSTEM_DRAGGABLE',
      html: `<html><body><h1>Hello {{ first_name|default:'friend' }}</h1><p>${i + 1}</p></body></html>`,
      text: code ? null : `Hello ${i + 1}`,
      amp: null,
      created: klaviyoTime(created),
      updated: klaviyoTime(created + ((i * 3) % 7) * 24 * HOUR)
    }
  }
}

function tag (i: number): Resource {
  return {
    type: 'tag',
    id: `abcd${String(i + 1).padStart(4, '0')}-ef56-gh78-ij90-abcdef123456`,
    attributes: { name: `Tag ${i + 1}` },
    relationships: { 'tag-group': { data: { type: 'tag-group', id: `group-${i % 3}` } }, lists: {}, segments: {}, campaigns: {}, flows: {} }
  }
}

/** Members of a group: a deterministic slice of the profiles, each with the time it joined. */
function members (profiles: readonly Resource[], groupIndex: number, count: number): Resource[] {
  const out: Resource[] = []
  for (let k = 0; k < count && profiles.length > 0; k++) {
    const p = profiles[(groupIndex * 17 + k * 3) % profiles.length] as Resource
    if (out.some((m) => m.id === p.id)) continue
    out.push({ ...p, attributes: { ...p.attributes, joined_group_at: klaviyoTime(START + (groupIndex * 50 + k) * HOUR) } })
  }
  return out
}

export function buildData (spec: KlaviyoDataSpec = {}): KlaviyoData {
  const n = { ...DEFAULT_COUNTS, ...spec }
  const profiles = Array.from({ length: n.profiles }, (_, i) => profile(i))
  const metrics = Array.from({ length: n.metrics }, (_, i) => metric(i))
  const tags = Array.from({ length: n.tags }, (_, i) => tag(i))
  const lists = Array.from({ length: n.lists }, (_, i) => group('list', i))
  const segments = Array.from({ length: n.segments }, (_, i) => group('segment', i))
  // List sizes vary: empty lists, lists of one page, lists of several pages (100 a page).
  const listMembers = new Map(lists.map((l, i) => [l.id, members(profiles, i, [0, 3, 140, 27, 230][i % 5] ?? 0)]))
  const segmentMembers = new Map(segments.map((s, i) => [s.id, members(profiles, i + 100, [12, 0, 105][i % 3] ?? 0)]))
  return {
    profiles,
    events: Array.from({ length: n.events }, (_, i) => event(i, profiles, metrics)),
    campaigns: [
      ...Array.from({ length: n.emailCampaigns }, (_, i) => campaign(i, 'email', tags)),
      ...Array.from({ length: n.smsCampaigns }, (_, i) => campaign(i, 'sms', tags))
    ],
    flows: Array.from({ length: n.flows }, (_, i) => flow(i, tags)),
    lists,
    segments,
    metrics,
    templates: Array.from({ length: n.templates }, (_, i) => template(i)),
    tags,
    listMembers,
    segmentMembers
  }
}

/** The channel of a fake campaign (its messages' channel). */
export function campaignChannel (campaign: Resource): 'email' | 'sms' {
  return campaign.id.startsWith('01HCSM') ? 'sms' : 'email'
}
