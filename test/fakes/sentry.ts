/**
 * A fake Sentry REST API (`/api/0/`) on 127.0.0.1, following the contract in
 * src/sources/sentry/api_inventory.md: bearer tokens with scopes, bare JSON arrays, `per_page` (issues:
 * `limit`) of at most 100, cursor pagination whose `Link` header always carries both a previous and a next
 * part with `results` and `cursor` attributes (a full last page still says `results="true"`, and the page
 * after it is empty), issues filtered by `query` (default `is:unresolved`) and by a `start`+`end` window
 * (both or neither; without one, the last 90 days), sorted by `sort` (default `date`: last seen, newest
 * first); `X-Sentry-Rate-Limit-*` headers on every response, a fixed-window rate limit and a concurrency
 * limit per token that answer 429 with Sentry's `detail` and no `Retry-After`; 401/403/404 bodies as Sentry
 * sends them.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { buildOrg, type FakeOrg, type FakeOrgSpec, type Json } from './sentry-data.js'

export { DEFAULT_PROJECTS, type FakeOrg, type FakeOrgSpec } from './sentry-data.js'

export const FAKE_SENTRY_TOKEN = 'sntryu_fake0123456789abcdef0123456789abcdef0123456789abcdef01234567'
export const ALL_SCOPES = ['org:read', 'project:read', 'member:read', 'event:read']

export const INVALID_TOKEN = { detail: 'Invalid token' }
export const NO_CREDENTIALS = { detail: 'Authentication credentials were not provided.' }
export const NO_PERMISSION = { detail: 'You do not have permission to perform this action.' }
export const NOT_FOUND = { detail: 'The requested resource does not exist' }

const MAX_PAGE = 100
const DAY = 86_400_000
/** Without `start`/`end` or `statsPeriod`, Sentry's issue search covers this much (MAX_STATS_PERIOD). */
const DEFAULT_ISSUE_WINDOW_MS = 90 * DAY

export interface TokenGrant {
  scopes: string[]
  /** Organisation slugs the token's user belongs to (default: every organisation of the fake). */
  orgs?: string[]
}

export interface FakeSentryOptions {
  orgs?: FakeOrgSpec[]
  tokens?: Record<string, TokenGrant>
  /** Requests per token and endpoint per fixed window (X-Sentry-Rate-Limit-Limit). Default 100. */
  rateLimit?: number
  /** Window length in seconds. Default 1. */
  windowSeconds?: number
  /** Requests in flight per token (X-Sentry-Rate-Limit-ConcurrentLimit). Default 25. */
  concurrentLimit?: number
  /** Delay every answer by this many ms (so concurrency can be observed). */
  delayMs?: number
}

export interface LoggedRequest {
  method: string
  path: string
  query: Record<string, string>
  /** Every value of a repeated param, in order. */
  rawQuery: string
  headers: Record<string, string | undefined>
  status: number
  at: number
  /** Requests of the same token in flight when this one arrived (itself included). */
  concurrent: number
}

type Injected = { kind: 'rate' } | { kind: 'concurrent' } | { kind: 'status', status: number, body: unknown }

export interface FakeSentry {
  url: string
  token: string
  requests: LoggedRequest[]
  org: (slug?: string) => FakeOrg
  /** The next `count` requests are refused with 429: the window's budget is spent (remaining 0). */
  exhaustRateLimit: (count?: number) => void
  /** The next `count` requests are refused with 429 for concurrency (ConcurrentRemaining 0). */
  exceedConcurrency: (count?: number) => void
  /** The next request answers `status` with `body`. */
  failNext: (status: number, body?: unknown) => void
  requestsTo: (suffix: string) => LoggedRequest[]
  /** Most requests of one token in flight at once so far. */
  maxConcurrent: () => number
  close: () => Promise<void>
}

function send (res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const text = body === undefined ? '' : JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', allow: 'GET, HEAD, OPTIONS', vary: 'Accept-Language, Cookie', ...headers })
  res.end(text)
}

class BadRequest extends Error {}

function pageSize (url: URL, param: string): number {
  const raw = url.searchParams.get(param)
  if (raw === null || raw === '') return MAX_PAGE
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new BadRequest(`Invalid ${param} parameter.`)
  if (n > MAX_PAGE) throw new BadRequest(`Invalid ${param} value. Cannot exceed ${MAX_PAGE}.`)
  return n
}

function offsetOf (url: URL): number {
  const cursor = url.searchParams.get('cursor')
  if (cursor === null || cursor === '') return 0
  const match = /^(\d+):(\d+):([01])$/.exec(cursor)
  if (match === null) throw new BadRequest('Invalid cursor parameter.')
  return Number(match[2])
}

function parseTime (value: string): number {
  // Sentry accepts ISO 8601 with or without a zone (naive means UTC) and fractional seconds.
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`)
  if (Number.isNaN(ms)) throw new BadRequest(`${value} is not a valid ISO8601 date query`)
  return ms
}

function period (value: string): number {
  const match = /^(\d+)([smhdw])$/.exec(value)
  if (match === null) throw new BadRequest(`Invalid statsPeriod: ${value}`)
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: DAY, w: 7 * DAY }[match[2] as 's' | 'm' | 'h' | 'd' | 'w']
  return Number(match[1]) * unit
}

/** The window of an issue search: statsPeriod, else start and end (both or neither), else the last 90 days. */
function issueWindow (url: URL, now: number): { from: number, to: number } {
  const q = url.searchParams
  const statsPeriod = q.get('statsPeriod')
  if (statsPeriod !== null && statsPeriod !== '') return { from: now - period(statsPeriod), to: now }
  const start = q.get('start')
  const end = q.get('end')
  if ((start !== null && start !== '') || (end !== null && end !== '')) {
    if (start === null || start === '' || end === null || end === '') throw new BadRequest('start and end are both required')
    const from = parseTime(start)
    const to = parseTime(end)
    if (from >= to) throw new BadRequest('start must be before end')
    return { from, to }
  }
  return { from: now - DEFAULT_ISSUE_WINDOW_MS, to: now }
}

const ISSUE_SORTS: Record<string, (a: Json, b: Json) => number> = {
  date: (a, b) => Date.parse(String(b.lastSeen)) - Date.parse(String(a.lastSeen)),
  new: (a, b) => Date.parse(String(b.firstSeen)) - Date.parse(String(a.firstSeen)),
  freq: (a, b) => Number(b.count) - Number(a.count),
  user: (a, b) => Number(b.userCount) - Number(a.userCount)
}

function issueStatusFilter (query: string | null): (issue: Json) => boolean {
  const text = (query ?? 'is:unresolved').trim()
  if (text === '') return () => true
  const wanted: string[] = []
  for (const token of text.split(/\s+/)) {
    const match = /^is:(unresolved|resolved|ignored|archived)$/.exec(token)
    if (match === null) throw new BadRequest(`Invalid search query: ${token}`)
    wanted.push(match[1] === 'archived' ? 'ignored' : String(match[1]))
  }
  return (issue) => wanted.every((status) => issue.status === status)
}

export async function startFakeSentry (options: FakeSentryOptions = {}): Promise<FakeSentry> {
  const orgs = new Map((options.orgs ?? [{}]).map((spec) => { const org = buildOrg(spec); return [org.slug, org] }))
  const tokens: Record<string, TokenGrant> = options.tokens ?? { [FAKE_SENTRY_TOKEN]: { scopes: ALL_SCOPES } }
  const limit = options.rateLimit ?? 100
  const windowMs = (options.windowSeconds ?? 1) * 1000
  const concurrentLimit = options.concurrentLimit ?? 25
  const windows = new Map<string, { start: number, used: number }>()
  const inflight = new Map<string, number>()
  const injected: Injected[] = []
  const requests: LoggedRequest[] = []
  let maxSeen = 0
  let origin = ''

  function paginate (res: ServerResponse, url: URL, items: readonly unknown[], sizeParam: string, headers: Record<string, string>): void {
    const size = pageSize(url, sizeParam)
    const offset = offsetOf(url)
    const page = items.slice(offset, offset + size)
    const kept: string[] = []
    for (const [k, v] of url.searchParams) if (k !== 'cursor') kept.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    const base = `${origin}${url.pathname}?${kept.join('&')}`
    // Sentry's has-more test sees a full page as "maybe more": the page after an exactly full last page is empty.
    const more = offset + page.length < items.length || (page.length === size && page.length > 0)
    const previous = `0:${Math.max(0, offset - size)}:1`
    const next = `0:${offset + size}:0`
    const link = `<${base}&cursor=${previous}>; rel="previous"; results="${String(offset > 0)}"; cursor="${previous}", ` +
      `<${base}&cursor=${next}>; rel="next"; results="${String(more)}"; cursor="${next}"`
    send(res, 200, page, { ...headers, link, 'x-hits': String(items.length), 'x-max-hits': String(items.length) })
  }

  /** Route a request that passed auth; returns false when no route matches. */
  function route (res: ServerResponse, url: URL, grant: TokenGrant, headers: Record<string, string>): boolean {
    const parts = url.pathname.split('/')
    // '', 'api', '0', kind, ...rest, '' — every Sentry path ends with a slash.
    if (parts[1] !== 'api' || parts[2] !== '0' || parts.at(-1) !== '') return false
    const rest = parts.slice(3, -1).map((p) => decodeURIComponent(p))
    // Any of the listed scopes will do; a :write or :admin scope includes its :read.
    const need = (...scopes: string[]): boolean => {
      const held = (scope: string): boolean => grant.scopes.includes(scope) || grant.scopes.includes(scope.replace(/:read$/, ':write')) || grant.scopes.includes(scope.replace(/:read$/, ':admin'))
      if (scopes.some(held)) return true
      send(res, 403, NO_PERMISSION, headers)
      return false
    }
    const orgFor = (slug: string | undefined): FakeOrg | null => {
      const org = slug === undefined ? undefined : orgs.get(slug)
      if (org === undefined) { send(res, 404, NOT_FOUND, headers); return null }
      if (grant.orgs !== undefined && !grant.orgs.includes(org.slug)) { send(res, 403, NO_PERMISSION, headers); return null }
      return org
    }
    if (rest[0] === 'organizations' && rest.length === 3) {
      const org = orgFor(rest[1])
      if (org === null) return true
      const list: Record<string, { scopes: string[], items: () => unknown[] }> = {
        projects: { scopes: ['org:read'], items: () => org.projects },
        teams: { scopes: ['org:read', 'team:read'], items: () => org.teams },
        members: { scopes: ['member:read'], items: () => org.members },
        releases: { scopes: ['project:read', 'project:releases'], items: () => [...org.releases].sort((a, b) => Date.parse(String(b.dateCreated)) - Date.parse(String(a.dateCreated))) },
        monitors: { scopes: ['org:read'], items: () => org.monitors }
      }
      const kind = rest[2] as string
      if (kind === 'environments') {
        if (!need('org:read')) return true
        const visibility = url.searchParams.get('visibility') ?? 'active'
        if (!['active', 'hidden', 'all'].includes(visibility)) throw new BadRequest("Invalid value for 'visibility', valid values are: 'active', 'hidden', 'all'")
        const rows = org.environments.filter((e) => visibility === 'all' || (visibility === 'hidden') === e.isHidden).map((e) => ({ id: e.id, name: e.name }))
        send(res, 200, rows, headers)
        return true
      }
      if (kind === 'issues') {
        if (!need('event:read')) return true
        const { from, to } = issueWindow(url, Date.now())
        const status = issueStatusFilter(url.searchParams.get('query'))
        const sort = ISSUE_SORTS[url.searchParams.get('sort') ?? 'date']
        if (sort === undefined) throw new BadRequest('Invalid sort')
        const rows = org.issues
          .filter((issue) => status(issue) && (org.eventsByIssue.get(String(issue.id)) ?? []).some((e) => {
            const at = Date.parse(String(e.dateCreated))
            return at >= from && at <= to
          }))
          .sort((a, b) => sort(a, b) || Number(b.id) - Number(a.id))
        paginate(res, url, rows, 'limit', headers)
        return true
      }
      const entry = list[kind]
      if (entry === undefined) return false
      if (!need(...entry.scopes)) return true
      paginate(res, url, entry.items(), 'per_page', headers)
      return true
    }
    if (rest[0] === 'organizations' && rest.length === 5 && rest[2] === 'issues' && rest[4] === 'events') {
      const org = orgFor(rest[1])
      if (org === null) return true
      if (!need('event:read')) return true
      const events = org.eventsByIssue.get(rest[3] as string)
      if (events === undefined) { send(res, 404, NOT_FOUND, headers); return true }
      paginate(res, url, events, 'per_page', headers)
      return true
    }
    if (rest[0] === 'projects' && rest.length === 4) {
      const org = orgFor(rest[1])
      if (org === null) return true
      const project = org.projects.find((p) => p.slug === rest[2] || p.id === rest[2])
      if (project === undefined) { send(res, 404, NOT_FOUND, headers); return true }
      if (rest[3] === 'events') {
        if (!need('project:read')) return true
        paginate(res, url, org.eventsByProject.get(String(project.slug)) ?? [], 'per_page', headers)
        return true
      }
      if (rest[3] === 'keys') {
        if (!need('project:read')) return true
        paginate(res, url, org.keysByProject.get(String(project.slug)) ?? [], 'per_page', headers)
        return true
      }
    }
    return false
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const at = Date.now()
    const url = new URL(req.url ?? '/', origin)
    const auth = req.headers.authorization
    const token = auth?.startsWith('Bearer ') === true ? auth.slice(7) : undefined
    const key = token ?? '-'
    const current = (inflight.get(key) ?? 0) + 1
    inflight.set(key, current)
    maxSeen = Math.max(maxSeen, current)
    const entry: LoggedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      rawQuery: url.search,
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v])),
      status: 0,
      at,
      concurrent: current
    }
    requests.push(entry)
    const finish = (): void => { inflight.set(key, (inflight.get(key) ?? 1) - 1) }
    res.on('close', finish)
    const answer = (): void => {
      const windowKey = `${key} ${url.pathname.replace(/\/(issues|projects)\/[^/]+\/(?:[^/]+\/)?(events|keys)\/$/, '/$1/*/$2/')}`
      const now = Date.now()
      const startOfWindow = Math.floor(now / windowMs) * windowMs
      let window = windows.get(windowKey)
      if (window === undefined || window.start !== startOfWindow) { window = { start: startOfWindow, used: 0 }; windows.set(windowKey, window) }
      window.used++
      const injectedNow = injected.shift()
      const spent = injectedNow?.kind === 'rate' || window.used > limit
      const crowded = injectedNow?.kind === 'concurrent' || current > concurrentLimit
      const headers: Record<string, string> = {
        'x-sentry-rate-limit-limit': String(limit),
        'x-sentry-rate-limit-remaining': String(spent ? 0 : Math.max(0, limit - window.used)),
        'x-sentry-rate-limit-reset': String(Math.ceil((startOfWindow + windowMs) / 1000)),
        'x-sentry-rate-limit-concurrentlimit': String(concurrentLimit),
        'x-sentry-rate-limit-concurrentremaining': String(crowded ? 0 : Math.max(0, concurrentLimit - current))
      }
      const reply = (status: number, body: unknown): void => { entry.status = status; send(res, status, body, headers) }
      res.on('finish', () => { entry.status = res.statusCode })
      if (token === undefined) return reply(401, NO_CREDENTIALS)
      const grant = tokens[token]
      if (grant === undefined) return reply(401, INVALID_TOKEN)
      if (spent) return reply(429, { detail: `You are attempting to use this endpoint too frequently. Limit is ${limit} requests in ${windowMs / 1000} seconds` })
      if (crowded) return reply(429, { detail: `You are attempting to go above the allowed concurrency for this endpoint. Concurrency limit is ${concurrentLimit}` })
      if (injectedNow?.kind === 'status') return reply(injectedNow.status, injectedNow.body)
      if (req.method !== 'GET') return reply(405, { detail: `Method "${String(req.method)}" not allowed.` })
      try {
        if (!route(res, url, grant, headers)) reply(404, NOT_FOUND)
      } catch (error) {
        if (!(error instanceof BadRequest)) throw error
        reply(400, { detail: error.message })
      }
    }
    if (options.delayMs !== undefined && options.delayMs > 0) setTimeout(answer, options.delayMs)
    else answer()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: origin,
    token: Object.keys(tokens)[0] ?? FAKE_SENTRY_TOKEN,
    requests,
    org: (slug) => {
      const org = slug === undefined ? orgs.values().next().value : orgs.get(slug)
      if (org === undefined) throw new Error(`no fake organisation ${String(slug)}`)
      return org
    },
    exhaustRateLimit: (count = 1) => { for (let i = 0; i < count; i++) injected.push({ kind: 'rate' }) },
    exceedConcurrency: (count = 1) => { for (let i = 0; i < count; i++) injected.push({ kind: 'concurrent' }) },
    failNext: (status, body) => { injected.push({ kind: 'status', status, body }) },
    requestsTo: (suffix) => requests.filter((r) => r.path.endsWith(suffix)),
    maxConcurrent: () => maxSeen,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    }
  }
}
