/**
 * A fake Typeform API (Create + Responses) on 127.0.0.1, following the contract in
 * src/sources/typeform/api_inventory.md: `Authorization: Bearer <token>` with per-token scopes (403 without
 * the scope), `{ code, description }` error bodies, `GET /me`, `GET /forms|/workspaces|/themes` by page
 * number (`page` from 1, `page_size` default 10, at most 200) answering `{ total_items, page_count, items }`,
 * and `GET /forms/{id}/responses` newest first by the filtered timestamp, `page_size` (default 25, at most
 * 1000), `before`/`after` tokens (exclusive; refused with `sort`, and — as Typeform does — with
 * `since`/`until`), `since`/`until` (inclusive; ISO 8601 to the second or epoch seconds) filtering on
 * submitted_at for completed responses and landed_at otherwise, `response_type` (default completed).
 * Rate limit: `requestsPerSecond` (default 2) per account in any sliding second, counted on arrival;
 * beyond it a 429 with no wait hint. Every request is logged with its status; 429s are counted.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { buildAccount, type FakeAccount, type FakeAccountSpec, type FakeResponse, type Json, type ResponseType } from './typeform-data.js'

export { isoSeconds, READ_SCOPES, type FakeAccount, type FakeAccountSpec, type FakeForm, type FakeFormSpec } from './typeform-data.js'

export const FAKE_TYPEFORM_TOKEN = 'tfp_FAKE8wU2mJq4tZr7vXn3cLp9sKd5hGf1aBe6yQo0'

export interface FakeTypeformOptions {
  accounts?: FakeAccountSpec[]
  /** Requests per account in any sliding `windowMs` (Typeform: 2 per second). */
  requestsPerSecond?: number
  windowMs?: number
}

export interface LoggedRequest {
  method: string
  path: string
  query: Record<string, string>
  authorization: string | undefined
  status: number
  at: number
}

export interface FakeTypeform {
  url: string
  token: string
  requests: LoggedRequest[]
  accounts: Map<string, FakeAccount>
  account: (token?: string) => FakeAccount
  /** 429s answered so far. */
  readonly rateLimited: number
  /** The next request (after authentication) answers `status` with `body`. */
  failNext: (status: number, body?: Json) => void
  requestsTo: (suffix: string) => LoggedRequest[]
  close: () => Promise<void>
}

const LIST_MAX_PAGE_SIZE = 200
const RESPONSES_MAX_PAGE_SIZE = 1000
const RESPONSE_TYPES: readonly ResponseType[] = ['started', 'partial', 'completed']
const SCOPE_OF: Record<string, string> = { me: 'accounts:read', forms: 'forms:read', responses: 'responses:read', workspaces: 'workspaces:read', themes: 'themes:read' }

class BadRequest extends Error {
  constructor (readonly field: string, description: string) { super(description) }
}

function send (res: ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) })
  res.end(text)
}

function error (code: string, description: string, details?: Json[]): Json {
  return details === undefined ? { code, description } : { code, description, details }
}

function integerParam (q: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = q.get(name)
  if (raw === null) return fallback
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new BadRequest(name, `${name} must be an integer between 1 and ${max}`)
  return Number(raw)
}

/** `since`/`until`: epoch seconds, or ISO 8601 UTC to the second (`2020-03-20T14:00:59`, a trailing Z tolerated). */
function instantParam (q: URLSearchParams, name: string): number | null {
  const raw = q.get(name)
  if (raw === null) return null
  if (/^\d+$/.test(raw)) return Number(raw) * 1000
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?$/.test(raw)) throw new BadRequest(name, `${name} must be a timestamp in seconds or ISO 8601 UTC to the second`)
  const ms = Date.parse(raw.endsWith('Z') ? raw : `${raw}Z`)
  if (Number.isNaN(ms)) throw new BadRequest(name, `${name} is not a valid date`)
  return ms
}

function pageOf<T> (items: readonly T[], page: number, pageSize: number): { total_items: number, page_count: number, items: T[] } {
  return { total_items: items.length, page_count: Math.ceil(items.length / pageSize), items: items.slice((page - 1) * pageSize, page * pageSize) }
}

function listPage (q: URLSearchParams, items: readonly Json[]): Json {
  const page = integerParam(q, 'page', 1, Number.MAX_SAFE_INTEGER)
  const pageSize = integerParam(q, 'page_size', 10, LIST_MAX_PAGE_SIZE)
  const search = q.get('search')
  const matching = search === null ? items : items.filter((item) => JSON.stringify(item).toLowerCase().includes(search.toLowerCase()))
  return pageOf(matching, page, pageSize)
}

function formsPage (q: URLSearchParams, account: FakeAccount): Json {
  const sortBy = q.get('sort_by') ?? 'created_at'
  const orderBy = q.get('order_by') ?? 'desc'
  if (sortBy !== 'created_at' && sortBy !== 'last_updated_at') throw new BadRequest('sort_by', 'sort_by must be created_at or last_updated_at')
  if (orderBy !== 'asc' && orderBy !== 'desc') throw new BadRequest('order_by', 'order_by must be asc or desc')
  const workspace = q.get('workspace_id')
  const forms = account.forms
    .filter((f) => workspace === null || String((f.item.workspace as Json | null)?.href ?? '').endsWith(`/${workspace}`))
    .map((f) => f.item)
    .sort((a, b) => (Date.parse(String(a[sortBy])) - Date.parse(String(b[sortBy]))) * (orderBy === 'asc' ? 1 : -1) || String(a.id).localeCompare(String(b.id)))
  return listPage(q, forms)
}

function responseTypes (q: URLSearchParams): Set<ResponseType> {
  const raw = q.get('response_type')
  if (raw === null) {
    const completed = q.get('completed')
    if (completed === 'false') return new Set(['started', 'partial'])
    return new Set(['completed'])
  }
  const types = raw.split(',').map((s) => s.trim())
  if (types.length === 0 || types.some((t) => !RESPONSE_TYPES.includes(t as ResponseType))) {
    throw new BadRequest('response_type', 'response_type must be a comma-separated list of started, partial, completed')
  }
  return new Set(types as ResponseType[])
}

function responsesPage (q: URLSearchParams, responses: readonly FakeResponse[]): Json {
  const pageSize = integerParam(q, 'page_size', 25, RESPONSES_MAX_PAGE_SIZE)
  const before = q.get('before')
  const after = q.get('after')
  const token = before ?? after
  if (before !== null && after !== null) throw new BadRequest('before', 'before and after cannot be combined')
  if (token !== null && q.get('sort') !== null) throw new BadRequest('sort', 'sort cannot be used together with before or after')
  for (const name of ['since', 'until']) {
    if (token !== null && q.get(name) !== null) throw new BadRequest(name, `${name} cannot be used together with before or after`)
  }
  const types = responseTypes(q)
  // Only completed responses: since/until and the order use submitted_at; any other mix uses landed_at.
  const bySubmission = types.size === 1 && types.has('completed')
  const at = (r: FakeResponse): number => bySubmission ? (r.submittedMs ?? 0) : r.landedMs
  const since = instantParam(q, 'since')
  const until = instantParam(q, 'until')
  const ordered = responses
    .filter((r) => types.has(r.type))
    .sort((a, b) => at(b) - at(a) || String(b.item.token).localeCompare(String(a.item.token)))
  let rows = ordered.filter((r) => (since === null || at(r) >= since) && (until === null || at(r) <= until + 999))
  if (token !== null) {
    const index = ordered.findIndex((r) => r.item.token === token)
    if (index < 0) throw new BadRequest(before !== null ? 'before' : 'after', 'unknown response token')
    rows = before !== null ? ordered.slice(index + 1) : ordered.slice(0, index)
  }
  return pageOf(rows.map((r) => r.item), 1, pageSize)
}

export async function startFakeTypeform (options: FakeTypeformOptions = {}): Promise<FakeTypeform> {
  const specs = options.accounts ?? [{ token: FAKE_TYPEFORM_TOKEN }]
  const accounts = new Map(specs.map((spec, i) => [spec.token, buildAccount(spec, i)]))
  const limit = options.requestsPerSecond ?? 2
  const windowMs = options.windowMs ?? 1000
  const arrivals = new Map<string, number[]>()
  const injected: Array<{ status: number, body: Json }> = []
  const requests: LoggedRequest[] = []
  let rateLimited = 0

  /** True when this arrival fits the account's budget (and counts it). */
  function admit (account: FakeAccount, now: number): boolean {
    const recent = (arrivals.get(account.accountId) ?? []).filter((t) => t > now - windowMs)
    if (recent.length >= limit) { arrivals.set(account.accountId, recent); return false }
    recent.push(now)
    arrivals.set(account.accountId, recent)
    return true
  }

  function route (account: FakeAccount, segments: string[], q: URLSearchParams): { status: number, body: unknown } {
    const [first, formId, child, ...extra] = segments
    const resource = segments.length === 1 ? first : segments.length === 3 && first === 'forms' && child === 'responses' && extra.length === 0 ? 'responses' : undefined
    if (resource === undefined || SCOPE_OF[resource] === undefined) return { status: 404, body: error('NOT_FOUND', 'Endpoint not found') }
    if (!account.scopes.has(SCOPE_OF[resource] as string)) {
      return { status: 403, body: error('FORBIDDEN', "User doesn't have permission to access the resource.") }
    }
    switch (resource) {
      case 'me': return { status: 200, body: account.me }
      case 'forms': return { status: 200, body: formsPage(q, account) }
      case 'workspaces': return { status: 200, body: listPage(q, account.workspaces) }
      case 'themes': return { status: 200, body: listPage(q, account.themes) }
      default: {
        const form = account.forms.find((f) => f.id === formId)
        if (form === undefined) return { status: 404, body: error('FORM_NOT_FOUND', `Form ${String(formId)} was not found`) }
        return { status: 200, body: responsesPage(q, form.responses) }
      }
    }
  }

  function handle (req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const now = Date.now()
    const entry: LoggedRequest = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), authorization: req.headers.authorization, status: 0, at: now }
    requests.push(entry)
    const answer = (status: number, body: unknown): void => { entry.status = status; send(res, status, body) }

    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')
    if (match === null) return answer(401, error('AUTHENTICATION_FAILED', 'Authentication credentials not found on the Request Headers'))
    const account = accounts.get(match[1] as string)
    if (account === undefined) return answer(401, error('AUTHENTICATION_FAILED', 'Authentication failed: the token is invalid, expired or belongs to another region'))
    if (!admit(account, now)) {
      rateLimited++
      return answer(429, error('RATE_LIMIT_EXCEEDED', 'Too many requests'))
    }
    const injection = injected.shift()
    if (injection !== undefined) return answer(injection.status, injection.body)
    if (req.method !== 'GET') return answer(405, error('METHOD_NOT_ALLOWED', 'Method not allowed'))
    const segments = url.pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s))
    try {
      const { status, body } = route(account, segments, url.searchParams)
      answer(status, body)
    } catch (problem) {
      if (!(problem instanceof BadRequest)) throw problem
      answer(400, error('VALIDATION_ERROR', problem.message, [{ code: 'invalid_value', description: problem.message, field: problem.field, in: 'query' }]))
    }
  }

  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => handle(req, res))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: origin,
    token: specs[0]?.token ?? FAKE_TYPEFORM_TOKEN,
    requests,
    accounts,
    account (token = specs[0]?.token ?? FAKE_TYPEFORM_TOKEN) {
      const account = accounts.get(token)
      if (account === undefined) throw new Error('fake has no account for that token')
      return account
    },
    get rateLimited () { return rateLimited },
    failNext (status, body = error('INTERNAL_SERVER_ERROR', 'Something went wrong')) { injected.push({ status, body }) },
    requestsTo (suffix) { return requests.filter((r) => r.path.endsWith(suffix)) },
    async close () {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
    }
  }
}
