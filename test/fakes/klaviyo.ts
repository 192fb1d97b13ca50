/**
 * A fake Klaviyo API on 127.0.0.1, following the contract in src/sources/klaviyo/api_inventory.md:
 * `Authorization: Klaviyo-API-Key <key>` with per-key scopes, a required `revision` header, JSON:API
 * collections `{ data, links: { self, next?, prev? } }` whose `links.next` is an absolute URL (with a
 * trailing slash on the path, as Klaviyo's are) carrying every query param plus `page[cursor]`,
 * `page[size]` only where the endpoint has it (and within its maximum), the documented `filter`
 * fields and operators (`and(...)` included) and `sort` fields, the channel filter campaigns require,
 * fixed 1-second burst and 1-minute steady windows per key and endpoint (429 + Retry-After, no
 * RateLimit-* headers; RateLimit-Limit/Remaining/Reset on every other answer), and JSON:API error bodies.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { buildData, campaignChannel, type Json, type KlaviyoData, type KlaviyoDataSpec, type Resource } from './klaviyo-data.js'

export { buildData, type KlaviyoData, type KlaviyoDataSpec, type Resource } from './klaviyo-data.js'

export const FAKE_KLAVIYO_KEY = 'pk_fake_0123456789abcdef0123456789abcdef'
export const REVISION_PATTERN = /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/

export interface Window { burst: number, steady: number }

interface Collection {
  name: string
  /** Route, `:id` for the parent id. */
  path: string
  scopes: string[]
  rate: Window
  pageSize?: { default: number, max: number }
  /** Filterable fields and their operators (from each operation's `filter` parameter in the spec). */
  filters: Record<string, string[]>
  sorts: string[]
  items: (data: KlaviyoData, id: string | undefined) => Resource[] | undefined
  /** A filter the endpoint cannot do without (campaigns: the channel). */
  requiredFilter?: string
}

const TIME_OPS = ['greater-or-equal', 'greater-than', 'less-or-equal', 'less-than']
const ORDERED_OPS = new Set(TIME_OPS)
const MEMBER_FILTERS = { email: ['any', 'equals'], phone_number: ['any', 'equals'], joined_group_at: TIME_OPS }

const COLLECTIONS: Collection[] = [
  { name: 'accounts', path: '/api/accounts', scopes: ['accounts:read'], rate: { burst: 1, steady: 15 }, filters: {}, sorts: [], items: () => [ACCOUNT] },
  {
    name: 'profiles', path: '/api/profiles', scopes: ['profiles:read'], rate: { burst: 75, steady: 750 }, pageSize: { default: 20, max: 100 },
    filters: { id: ['any', 'equals'], email: ['any', 'equals'], created: ['greater-than', 'less-than'], updated: ['greater-than', 'less-than'] },
    sorts: ['created', 'email', 'id', 'updated'], items: (d) => d.profiles
  },
  {
    name: 'events', path: '/api/events', scopes: ['events:read'], rate: { burst: 350, steady: 3500 }, pageSize: { default: 200, max: 1000 },
    filters: { metric_id: ['equals'], profile_id: ['equals'], datetime: TIME_OPS, timestamp: TIME_OPS }, sorts: ['datetime', 'timestamp'], items: (d) => d.events
  },
  {
    name: 'campaigns', path: '/api/campaigns', scopes: ['campaigns:read'], rate: { burst: 10, steady: 150 }, pageSize: { default: 100, max: 100 },
    filters: { id: ['any'], 'messages.channel': ['equals'], name: ['contains'], status: ['any', 'equals'], archived: ['equals'], created_at: TIME_OPS, scheduled_at: TIME_OPS, updated_at: TIME_OPS },
    sorts: ['created_at', 'id', 'name', 'scheduled_at', 'updated_at'], items: (d) => d.campaigns, requiredFilter: 'messages.channel'
  },
  {
    name: 'flows', path: '/api/flows', scopes: ['flows:read'], rate: { burst: 3, steady: 60 }, pageSize: { default: 50, max: 50 },
    filters: { id: ['any'], name: ['contains', 'equals'], status: ['equals'], archived: ['equals'], created: ['equals', ...TIME_OPS], updated: ['equals', ...TIME_OPS], trigger_type: ['equals'] },
    sorts: ['created', 'id', 'name', 'status', 'trigger_type', 'updated'], items: (d) => d.flows
  },
  {
    name: 'lists', path: '/api/lists', scopes: ['lists:read'], rate: { burst: 75, steady: 750 }, pageSize: { default: 10, max: 10 },
    filters: { name: ['any', 'equals'], id: ['any', 'equals'], created: ['greater-than'], updated: ['greater-than'] }, sorts: ['created', 'id', 'name', 'updated'], items: (d) => d.lists
  },
  {
    name: 'segments', path: '/api/segments', scopes: ['segments:read'], rate: { burst: 75, steady: 750 }, pageSize: { default: 10, max: 10 },
    filters: { name: ['any', 'equals'], id: ['any', 'equals'], created: ['greater-than'], updated: ['greater-than'], is_active: ['any', 'equals'] },
    sorts: ['created', 'id', 'name', 'updated'], items: (d) => d.segments
  },
  { name: 'metrics', path: '/api/metrics', scopes: ['metrics:read'], rate: { burst: 10, steady: 150 }, filters: { 'integration.name': ['equals'], 'integration.category': ['equals'] }, sorts: [], items: (d) => d.metrics },
  {
    name: 'templates', path: '/api/templates', scopes: ['templates:read'], rate: { burst: 75, steady: 750 }, pageSize: { default: 10, max: 10 },
    filters: { id: ['any', 'equals'], name: ['any', 'contains', 'equals'], created: ['equals', ...TIME_OPS], updated: ['equals', ...TIME_OPS] },
    sorts: ['created', 'id', 'name', 'updated'], items: (d) => d.templates
  },
  { name: 'tags', path: '/api/tags', scopes: ['tags:read'], rate: { burst: 3, steady: 60 }, pageSize: { default: 50, max: 50 }, filters: { name: ['contains', 'equals'] }, sorts: ['id', 'name'], items: (d) => d.tags },
  {
    name: 'list_profiles', path: '/api/lists/:id/profiles', scopes: ['lists:read', 'profiles:read'], rate: { burst: 75, steady: 750 }, pageSize: { default: 20, max: 100 },
    filters: MEMBER_FILTERS, sorts: ['joined_group_at'], items: (d, id) => d.listMembers.get(id ?? '')
  },
  {
    name: 'segment_profiles', path: '/api/segments/:id/profiles', scopes: ['segments:read', 'profiles:read'], rate: { burst: 75, steady: 750 }, pageSize: { default: 20, max: 100 },
    filters: { ...MEMBER_FILTERS, profile_id: ['any', 'equals'] }, sorts: ['joined_group_at'], items: (d, id) => d.segmentMembers.get(id ?? '')
  }
]

const ACCOUNT: Resource = {
  type: 'account',
  id: 'AbC123',
  attributes: {
    test_account: false,
    contact_information: { default_sender_name: 'Klaviyo Demo', default_sender_email: 'contact@klaviyo-demo.com', website_url: null, organization_name: 'Klaviyo Demo', street_address: { address1: '125 Summer Street', address2: null, city: 'Boston', region: 'MA', country: 'US', zip: '02110' } },
    industry: null,
    timezone: 'US/Eastern',
    preferred_currency: 'USD',
    public_api_key: 'AbC123',
    locale: 'en-US'
  }
}

export const ALL_SCOPES = [...new Set(COLLECTIONS.flatMap((c) => c.scopes))]

export interface FakeKlaviyoOptions extends KlaviyoDataSpec {
  /** Valid keys and their scopes. Default: FAKE_KLAVIYO_KEY with every read scope. */
  keys?: Record<string, string[]>
  /** Window lengths (tests shorten them); the documented ones are 1 s and 60 s. */
  burstMs?: number
  steadyMs?: number
  /** Per-endpoint window limits overriding the documented ones (by collection name). */
  limits?: Record<string, Window>
}

export interface LoggedRequest {
  method: string
  /** Path without the query string. */
  path: string
  query: Record<string, string>
  headers: Record<string, string | undefined>
  status: number
  at: number
}

export interface FakeKlaviyo {
  url: string
  key: string
  data: KlaviyoData
  requests: LoggedRequest[]
  /** Requests to a collection, by its name (`profiles`, `list_profiles`, …). */
  requestsTo: (name: string) => LoggedRequest[]
  /** The next request answers `status` with a JSON:API error (or `body`), with `headers`. */
  failNext: (status: number, options?: { code?: string, detail?: string, headers?: Record<string, string> }) => void
  close: () => Promise<void>
}

class ApiError extends Error {
  constructor (readonly status: number, readonly code: string, readonly title: string, readonly detail: string,
    readonly source?: { pointer?: string, parameter?: string }, readonly headers: Record<string, string> = {}) {
    super(detail)
  }
}

function errorBody (error: ApiError): Json {
  return { errors: [{ id: randomUUID(), status: error.status, code: error.code, title: error.title, detail: error.detail, source: error.source ?? { pointer: '/data/' } }] }
}

const invalid = (detail: string, parameter: string): ApiError => new ApiError(400, 'invalid', 'Invalid input.', detail, { parameter })

// ---------------------------------------------------------------------------------------------
// Filters: op(field,value), and(...), values quoted ('x' or "x"), lists [..], datetimes unquoted.
// ---------------------------------------------------------------------------------------------

interface Condition { op: string, field: string, value: unknown }

function splitArgs (text: string): string[] {
  const out: string[] = []
  let depth = 0
  let quote: string | null = null
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quote !== null) { if (c === quote) quote = null; continue }
    if (c === '\'' || c === '"') quote = c
    else if (c === '(' || c === '[') depth++
    else if (c === ')' || c === ']') depth--
    else if (c === ',' && depth === 0) { out.push(text.slice(start, i).trim()); start = i + 1 }
  }
  out.push(text.slice(start).trim())
  return out
}

function parseValue (raw: string): unknown {
  if (/^'.*'$/s.test(raw) || /^".*"$/s.test(raw)) return raw.slice(1, -1)
  if (raw.startsWith('[') && raw.endsWith(']')) return splitArgs(raw.slice(1, -1)).filter((v) => v !== '').map(parseValue)
  if (raw === 'true' || raw === 'false') return raw === 'true'
  if (raw === 'null') return null
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw)
  // Datetimes are written without quotes; a quoted one is a string and does not compare as a time.
  if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(raw) && !Number.isNaN(Date.parse(raw))) return new Date(raw)
  throw invalid(`Invalid filter value: ${raw}`, 'filter')
}

function parseFilter (text: string): Condition[] {
  const match = /^([a-z-]+)\((.*)\)$/s.exec(text.trim())
  if (match === null) throw invalid(`Invalid filter provided: ${text}`, 'filter')
  const [, op, inner] = match as unknown as [string, string, string]
  if (op === 'and') return splitArgs(inner).flatMap(parseFilter)
  const args = splitArgs(inner)
  if (args.length !== 2) throw invalid(`Filter operation '${op}' takes a field and a value`, 'filter')
  return [{ op, field: args[0] as string, value: parseValue(args[1] as string) }]
}

function fieldValue (resource: Resource, field: string): unknown {
  if (field === 'id') return resource.id
  if (field === 'messages.channel') return campaignChannel(resource)
  if (field === 'metric_id') return (resource.relationships?.metric as { data?: { id?: string } })?.data?.id
  if (field === 'profile_id') return resource.type === 'profile' ? resource.id : (resource.relationships?.profile as { data?: { id?: string } })?.data?.id
  return field.split('.').reduce<unknown>((v, k) => (v === null || typeof v !== 'object' ? undefined : (v as Json)[k]), resource.attributes)
}

function comparable (value: unknown): number | string | boolean | null {
  if (value instanceof Date) return value.getTime()
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) return Date.parse(value)
  return value as number | string | boolean | null
}

function matches (resource: Resource, c: Condition): boolean {
  const actual = comparable(fieldValue(resource, c.field))
  const wanted = Array.isArray(c.value) ? c.value.map(comparable) : comparable(c.value)
  if (c.op === 'equals') return Array.isArray(wanted) ? wanted.includes(actual) : actual === wanted
  if (c.op === 'any') return Array.isArray(wanted) && wanted.includes(actual)
  if (c.op === 'contains') return typeof actual === 'string' && actual.includes(String(wanted))
  // Ordered comparisons only between numbers (times are compared as epoch ms).
  if (typeof actual !== 'number' || typeof wanted !== 'number') return false
  switch (c.op) {
    case 'greater-than': return actual > wanted
    case 'greater-or-equal': return actual >= wanted
    case 'less-than': return actual < wanted
    case 'less-or-equal': return actual <= wanted
    default: return false
  }
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

function route (path: string): { collection: Collection, id?: string } | undefined {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path
  for (const collection of COLLECTIONS) {
    const pattern = new RegExp(`^${collection.path.replace(':id', '([^/]+)')}$`)
    const m = pattern.exec(trimmed)
    if (m !== null) return m[1] === undefined ? { collection } : { collection, id: decodeURIComponent(m[1]) }
  }
  return undefined
}

function encodeCursor (offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url')
}

function decodeCursor (cursor: string): number {
  try {
    const o = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown }).o
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o
  } catch {}
  throw invalid('Invalid page cursor', 'page[cursor]')
}

const ALLOWED_PARAMS = new Set(['filter', 'sort', 'page[size]', 'page[cursor]'])

export async function startFakeKlaviyo (options: FakeKlaviyoOptions = {}): Promise<FakeKlaviyo> {
  const data = buildData(options)
  const keys = options.keys ?? { [FAKE_KLAVIYO_KEY]: ALL_SCOPES }
  const burstMs = options.burstMs ?? 1_000
  const steadyMs = options.steadyMs ?? 60_000
  const windows = new Map<string, { burstStart: number, burst: number, steadyStart: number, steady: number }>()
  const injected: ApiError[] = []
  const requests: LoggedRequest[] = []
  let origin = ''

  /** Fixed windows per key and endpoint; null when the request is within both. */
  function admit (key: string, collection: Collection, now: number): { throttled: ApiError | null, headers: Record<string, string> } {
    const limit = options.limits?.[collection.name] ?? collection.rate
    const id = `${key}\u0000${collection.name}`
    let w = windows.get(id)
    if (w === undefined) { w = { burstStart: now, burst: 0, steadyStart: now, steady: 0 }; windows.set(id, w) }
    if (now - w.burstStart >= burstMs) { w.burstStart = now; w.burst = 0 }
    if (now - w.steadyStart >= steadyMs) { w.steadyStart = now; w.steady = 0 }
    if (w.burst >= limit.burst || w.steady >= limit.steady) {
      const until = w.steady >= limit.steady ? w.steadyStart + steadyMs : w.burstStart + burstMs
      const seconds = Math.max(1, Math.ceil((until - now) / 1000))
      return { throttled: new ApiError(429, 'throttled', 'Request was throttled.', `Request was throttled. Expected available in ${seconds} second${seconds === 1 ? '' : 's'}.`, undefined, { 'retry-after': String(seconds) }), headers: {} }
    }
    w.burst++
    w.steady++
    return {
      throttled: null,
      headers: {
        'ratelimit-limit': String(limit.steady),
        'ratelimit-remaining': String(limit.steady - w.steady),
        'ratelimit-reset': String(Math.max(0, Math.ceil((w.steadyStart + steadyMs - now) / 1000)))
      }
    }
  }

  function serialise (resource: Resource, base: string): Json {
    const self = `${origin}/api/${base}/${resource.id}/`
    const out: Json = { type: resource.type, id: resource.id, attributes: resource.attributes }
    if (resource.relationships !== undefined) {
      const relationships: Json = {}
      for (const [name, rel] of Object.entries(resource.relationships)) {
        relationships[name] = { ...(rel as Json), links: { self: `${self}relationships/${name}/`, related: `${self}${name}/` } }
      }
      out.relationships = relationships
    }
    out.links = { self }
    return out
  }

  function list (collection: Collection, id: string | undefined, url: URL): Json {
    const items = collection.items(data, id)
    if (items === undefined) {
      const kind = collection.name === 'list_profiles' ? 'list' : 'segment'
      throw new ApiError(404, 'not_found', 'Not found.', `A ${kind} with id ${id ?? ''} does not exist.`, { parameter: 'id' })
    }
    for (const name of url.searchParams.keys()) {
      if (!ALLOWED_PARAMS.has(name) && !name.startsWith('fields[')) throw invalid(`'${name}' is not a valid query parameter for this endpoint.`, name)
    }
    let size = collection.pageSize?.default ?? 200
    const sizeParam = url.searchParams.get('page[size]')
    if (sizeParam !== null) {
      const max = collection.pageSize?.max
      if (max === undefined) throw invalid(`'page[size]' is not a valid query parameter for this endpoint.`, 'page[size]')
      const n = Number(sizeParam)
      if (!Number.isInteger(n) || n < 1 || n > max) throw invalid(`page[size] must be an integer between 1 and ${max}.`, 'page[size]')
      size = n
    }
    const filterText = url.searchParams.get('filter')
    const conditions = filterText === null ? [] : parseFilter(filterText)
    for (const c of conditions) {
      if (!(collection.filters[c.field] ?? []).includes(c.op)) throw invalid(`'${c.op}' is not a valid operator for '${c.field}' on this endpoint.`, 'filter')
      // Ordered comparisons take a datetime (unquoted) or a number; a quoted value is a string.
      if (ORDERED_OPS.has(c.op) && !(c.value instanceof Date) && typeof c.value !== 'number') throw invalid(`Invalid filter provided: '${c.op}' needs a datetime or a number for '${c.field}'.`, 'filter')
    }
    if (collection.requiredFilter !== undefined && !conditions.some((c) => c.field === collection.requiredFilter)) {
      throw invalid(`A channel filter is required to list campaigns. Please provide either: ?filter=equals(messages.channel,'email') or ?filter=equals(messages.channel,'sms').`, 'filter')
    }
    let rows = items.filter((r) => conditions.every((c) => matches(r, c)))
    const sort = url.searchParams.get('sort')
    if (sort !== null) {
      const field = sort.replace(/^-/, '')
      if (!collection.sorts.includes(field)) throw invalid(`'${sort}' is not a valid sort for this endpoint.`, 'sort')
      const sign = sort.startsWith('-') ? -1 : 1
      rows = [...rows].sort((a, b) => {
        const x = comparable(fieldValue(a, field)) ?? ''
        const y = comparable(fieldValue(b, field)) ?? ''
        return x < y ? -sign : x > y ? sign : a.id < b.id ? -1 : a.id > b.id ? 1 : 0
      })
    }
    const cursor = url.searchParams.get('page[cursor]')
    const offset = cursor === null ? 0 : decodeCursor(cursor)
    const page = rows.slice(offset, offset + size)
    const link = (at: number): string => {
      const params = new URLSearchParams(url.searchParams)
      params.delete('page[cursor]')
      params.set('page[cursor]', encodeCursor(at))
      return `${origin}${url.pathname.replace(/\/?$/, '/')}?${params.toString()}`
    }
    const links: Json = { self: `${origin}${url.pathname}${url.search}` }
    if (offset + size < rows.length) links.next = link(offset + size)
    if (offset > 0) links.prev = link(Math.max(0, offset - size))
    const base = collection.name.endsWith('_profiles') || collection.name === 'profiles' ? 'profiles' : collection.name
    return { data: page.map((r) => serialise(r, base)), links }
  }

  function answer (req: IncomingMessage, res: ServerResponse): void {
    const at = Date.now()
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const headers: Record<string, string | undefined> = {}
    for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value
    let status = 200
    let body: Json
    let extra: Record<string, string> = {}
    try {
      const found = req.method === 'GET' ? route(url.pathname) : undefined
      if (found === undefined) throw new ApiError(404, 'not_found', 'Not found.', 'The requested resource does not exist.')
      const auth = /^Klaviyo-API-Key (\S+)$/.exec(headers.authorization ?? '')
      const scopes = auth === null ? undefined : keys[auth[1] as string]
      if (scopes === undefined) throw new ApiError(401, 'not_authenticated', 'Authentication credentials were not provided.', 'Missing or invalid private key.')
      const revision = headers.revision
      if (revision === undefined || revision === '') throw invalid('Missing `revision` header. Please provide a revision in the format YYYY-MM-DD.', 'revision')
      if (!REVISION_PATTERN.test(revision)) throw invalid(`Invalid revision: ${revision}.`, 'revision')
      const missing = found.collection.scopes.filter((s) => !scopes.includes(s))
      if (missing.length > 0) throw new ApiError(403, 'permission_denied', 'You do not have permission to perform this action.', `Your API key is missing required scopes: ${missing.join(', ')}.`)
      const pending = injected.shift()
      if (pending !== undefined) throw pending
      const rate = admit(auth?.[1] as string, found.collection, at)
      if (rate.throttled !== null) throw rate.throttled
      extra = rate.headers
      body = list(found.collection, found.id, url)
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      status = error.status
      body = errorBody(error)
      extra = { ...extra, ...error.headers }
    }
    requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers, status, at })
    const text = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/vnd.api+json', 'content-length': String(Buffer.byteLength(text)), ...extra })
    res.end(text)
  }

  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      try { answer(req, res) } catch (error) { res.writeHead(500); res.end(JSON.stringify({ errors: [{ detail: String(error) }] })) }
    })
  })
  const sockets = new Set<import('node:net').Socket>()
  server.on('connection', (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: origin,
    key: FAKE_KLAVIYO_KEY,
    data,
    requests,
    requestsTo: (name) => requests.filter((r) => route(r.path)?.collection.name === name),
    failNext: (status, o = {}) => {
      injected.push(new ApiError(status, o.code ?? 'error', 'Injected failure.', o.detail ?? `Injected ${status}.`, undefined, o.headers ?? {}))
    },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    }
  }
}
