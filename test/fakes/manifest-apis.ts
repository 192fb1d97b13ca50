/**
 * Loopback fakes of the three APIs the test manifests describe, each following its vendor's
 * documented contract (see docs/manifests.md, "Test manifests", for the sources of each fact):
 *   - Workable SPI v3: `Authorization: Bearer`, `limit` + `since_id`, `paging.next` absolute URLs
 *     (absent on the last page), `updated_after` filter, job questions by job shortcode.
 *   - Freshdesk API v2: basic auth (API key as user name, `X` as password), `page` + `per_page`
 *     (at most 100), bare JSON arrays, `updated_since`, ticket conversations, 429 with Retry-After.
 *   - Pipedrive API v1: `api_token` query param, `start` + `limit` offsets with
 *     `additional_data.pagination.more_items_in_collection`, `{ success, data }` bodies.
 */
import { startRestFake, type FakeRequest, type RestFake } from './rest-fake.js'

export const WORKABLE_TOKEN = 'wk-canary-token-5b1f'
export const FRESHDESK_KEY = 'fd-canary-key-8c2e'
export const PIPEDRIVE_TOKEN = 'pd-canary-token-3a9d'

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
const BASE = Date.UTC(2024, 0, 1)

export const WORKABLE_JOBS = Array.from({ length: 120 }, (_, i) => ({
  id: `job${String(i).padStart(4, '0')}`,
  shortcode: `SC${i}`,
  title: `Job ${i}`,
  state: i % 3 === 0 ? 'archived' : 'published',
  created_at: iso(BASE + i * 3_600_000)
}))
export const WORKABLE_CANDIDATES = Array.from({ length: 75 }, (_, i) => ({
  id: `cand${String(i).padStart(4, '0')}`,
  name: `Candidate ${i}`,
  stage: 'applied',
  updated_at: iso(BASE + i * 86_400_000)
}))

function unauthorized (): { status: number, json: unknown } {
  return { status: 401, json: { error: 'Not authorized' } }
}

/** Workable paging: `since_id` is the id of the first item of the next page. */
function workablePage<T extends { id: string }> (fake: RestFake, req: FakeRequest, items: readonly T[], key: string): { json: unknown } {
  const limit = Math.min(Number(req.query.get('limit') ?? '50'), 100)
  const since = req.query.get('since_id')
  const from = since === null ? 0 : Math.max(0, items.findIndex((i) => i.id === since))
  const page = items.slice(from, from + limit)
  const next = items[from + limit]
  const query = new URLSearchParams(req.query)
  if (next !== undefined) query.set('since_id', next.id)
  return { json: { [key]: page, ...(next === undefined ? {} : { paging: { next: `${fake.url}${req.path}?${query.toString()}` } }) } }
}

export async function startWorkableFake (): Promise<RestFake> {
  const authed = (req: FakeRequest): boolean => req.headers.authorization === `Bearer ${WORKABLE_TOKEN}`
  const fake: RestFake = await startRestFake({
    'GET /spi/v3/jobs': (req, f) => authed(req) ? workablePage(f, req, WORKABLE_JOBS, 'jobs') : unauthorized(),
    'GET /spi/v3/candidates': (req, f) => {
      if (!authed(req)) return unauthorized()
      const after = req.query.get('updated_after')
      const since = after === null ? Number.NEGATIVE_INFINITY : Date.parse(after)
      return workablePage(f, req, WORKABLE_CANDIDATES.filter((c) => Date.parse(c.updated_at) >= since), 'candidates')
    },
    'GET /spi/v3/jobs/:shortcode/questions': (req) => {
      if (!authed(req)) return unauthorized()
      const job = WORKABLE_JOBS.find((j) => j.shortcode === req.params.shortcode)
      if (job === undefined) return { status: 404, json: { error: 'Not found' } }
      const n = Number(job.shortcode.slice(2)) % 3
      return { json: { questions: Array.from({ length: n }, (_, q) => ({ id: `${job.shortcode}-q${q}`, body: `Question ${q}?`, type: 'free_text' })) } }
    }
  })
  return fake
}

export const FRESHDESK_TICKETS = Array.from({ length: 120 }, (_, i) => ({
  id: i + 1,
  subject: `Ticket ${i + 1}`,
  status: 2 + (i % 4),
  priority: 1 + (i % 4),
  created_at: iso(BASE + i * 60_000),
  updated_at: iso(BASE + i * 600_000)
}))

export interface FreshdeskFake extends RestFake {
  /** Answer the next request to this path with 429 + Retry-After: 0 this many times. */
  throttle: (path: string, times: number) => void
}

export async function startFreshdeskFake (): Promise<FreshdeskFake> {
  const expected = `Basic ${Buffer.from(`${FRESHDESK_KEY}:X`).toString('base64')}`
  const throttled = new Map<string, number>()
  const guard = (req: FakeRequest): { status: number, headers?: Record<string, string>, json: unknown } | null => {
    if (req.headers.authorization !== expected) return { status: 401, json: { code: 'invalid_credentials', message: 'You have to be logged in to perform this action.' } }
    const left = throttled.get(req.path) ?? 0
    if (left > 0) { throttled.set(req.path, left - 1); return { status: 429, headers: { 'retry-after': '0' }, json: { message: 'You have exceeded the limit of requests per minute' } } }
    return null
  }
  const page = <T>(req: FakeRequest, items: readonly T[]): { headers: Record<string, string>, json: T[] } => {
    const perPage = Math.min(Number(req.query.get('per_page') ?? '30'), 100)
    const n = Number(req.query.get('page') ?? '1')
    return { headers: { 'x-ratelimit-total': '200', 'x-ratelimit-remaining': '199' }, json: items.slice((n - 1) * perPage, n * perPage) }
  }
  const fake = await startRestFake({
    'GET /api/v2/tickets': (req) => {
      const refused = guard(req)
      if (refused !== null) return refused
      const since = req.query.get('updated_since')
      const from = since === null ? Number.NEGATIVE_INFINITY : Date.parse(since)
      return page(req, FRESHDESK_TICKETS.filter((t) => Date.parse(t.updated_at) >= from))
    },
    'GET /api/v2/tickets/:id/conversations': (req) => {
      const refused = guard(req)
      if (refused !== null) return refused
      const id = Number(req.params.id)
      if (id > FRESHDESK_TICKETS.length) return { status: 404, json: { code: 'not_found' } }
      return page(req, Array.from({ length: id % 3 }, (_, c) => ({ id: id * 100 + c, body_text: `Reply ${c}`, ticket_id: id, incoming: c % 2 === 0 })))
    }
  }) as FreshdeskFake
  fake.throttle = (path, times) => { throttled.set(path, times) }
  return fake
}

export const PIPEDRIVE_DEALS = Array.from({ length: 42 }, (_, i) => ({
  id: i + 1,
  title: `Deal ${i + 1}`,
  value: 1000 + i,
  currency: 'EUR',
  update_time: `2024-02-${String(1 + (i % 28)).padStart(2, '0')} 10:00:00`
}))

export async function startPipedriveFake (): Promise<RestFake> {
  return await startRestFake({
    'GET /v1/deals': (req) => {
      if (req.query.get('api_token') !== PIPEDRIVE_TOKEN) return { status: 401, json: { success: false, error: 'unauthorized access', errorCode: 401 } }
      const start = Number(req.query.get('start') ?? '0')
      const limit = Math.min(Number(req.query.get('limit') ?? '100'), 500)
      const data = PIPEDRIVE_DEALS.slice(start, start + limit)
      const more = start + limit < PIPEDRIVE_DEALS.length
      return { json: { success: true, data, additional_data: { pagination: { start, limit, more_items_in_collection: more, ...(more ? { next_start: start + limit } : {}) } } } }
    },
    'GET /v1/users/me': (req) => req.query.get('api_token') === PIPEDRIVE_TOKEN
      ? { json: { success: true, data: { id: 1, name: 'Owner' } } }
      : { status: 401, json: { success: false, error: 'unauthorized access', errorCode: 401 } }
  })
}
