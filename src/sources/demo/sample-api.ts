/**
 * The Demo source's upstream: a small sample REST API the service serves itself (under /demo-api), so
 * the Demo source needs no credentials and no internet. It can also run standalone on 127.0.0.1:0
 * (tests, benchmarks). Its contract, documented in api_inventory.md:
 *
 *   GET /customers              JSON array; next page in a `Link: <…>; rel="next"` header
 *   GET /orders                 `{ data: [...], next_cursor }` (body cursor, sent back as `cursor`)
 *   GET /customers/{id}/notes   `{ data: [...], next_cursor }` per customer; 404 for an unknown customer
 *
 * Common query params: `limit` (1–1000, default 100), `cursor`, `customers` (dataset size, default
 * 1000), `orders_per_customer` (0–10, default 3), `updated_since` (ISO-8601; rows updated strictly
 * after it; /customers and /orders), `latency_ms` (0–5000, added delay). Rows are ordered by id, which
 * is also updated_at order. Every response carries `X-RateLimit-Limit/Remaining/Reset` (epoch seconds)
 * for a fixed window; past the limit the answer is 429 with `Retry-After`. Errors are
 * `{ "error": { "code", "message" } }` with status 400 or 404.
 */
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify'
import {
  customer, customerUpdatedMs, DATASET_LIMITS, firstUpdatedAfter, note, notesCount, order, orderUpdatedMs
} from './dataset.js'

export const SAMPLE_API_PREFIX = '/demo-api'

export const SAMPLE_API_DEFAULTS = {
  pageSize: 100,
  customers: 1000,
  ordersPerCustomer: 3,
  /** Fixed-window rate limit: generous enough for benchmarks, visible in headers. */
  rateLimit: { limit: 10_000, windowMs: 1000 }
} as const

export type SampleRoute = 'customers' | 'orders' | 'notes'

export interface SampleRequest {
  route: SampleRoute
  /** 1-based count of data requests this instance has received. */
  n: number
  path: string
  query: Record<string, string>
}

export interface SampleFault {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

export interface SampleApiOptions {
  rateLimit?: { limit: number, windowMs: number }
  /** Delay added to every data response (the `latency_ms` param adds to it). */
  latencyMs?: number
  /** Called for every data request before it is answered (tests count requests here). */
  onRequest?: (request: SampleRequest) => void
  /** Tests only: answer a request with a fault instead of data. */
  fault?: (request: SampleRequest) => SampleFault | undefined
}

class BadParam extends Error {}

function intParam (query: Record<string, string>, name: string, fallback: number, min: number, max: number): number {
  const raw = query[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^\d+$/.test(raw)) throw new BadParam(`${name} must be an integer between ${min} and ${max}`)
  const value = Number(raw)
  if (value < min || value > max) throw new BadParam(`${name} must be an integer between ${min} and ${max}`)
  return value
}

function instantParam (query: Record<string, string>, name: string): number | null {
  const raw = query[name]
  if (raw === undefined || raw === '') return null
  const ms = Date.parse(raw)
  if (Number.isNaN(ms)) throw new BadParam(`${name} must be an ISO-8601 date-time`)
  return ms
}

function encodeCursor (afterId: number): string {
  return Buffer.from(`after:${afterId}`).toString('base64url')
}

function cursorParam (query: Record<string, string>): number {
  const raw = query.cursor
  if (raw === undefined || raw === '') return 0
  const match = /^after:(\d+)$/.exec(Buffer.from(raw, 'base64url').toString('utf8'))
  if (match === null) throw new BadParam('cursor is not a cursor this API issued')
  return Number(match[1])
}

interface Window { startedAt: number, used: number }

function sendError (reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send({ error: { code, message } })
}

function origin (request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`
}

async function delay (ms: number): Promise<void> {
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms))
}

/** A page of ids [from, to] out of [first, last]; `next` is the last id sent when more remain. */
function pageOf (first: number, last: number, limit: number): { from: number, to: number, more: boolean } {
  const to = Math.min(last, first + limit - 1)
  return { from: first, to, more: to < last }
}

export const sampleApi: FastifyPluginAsync<SampleApiOptions> = async (app, options) => {
  const rateLimit = options.rateLimit ?? SAMPLE_API_DEFAULTS.rateLimit
  const window: Window = { startedAt: Date.now(), used: 0 }
  let served = 0

  /** Rate limit, test hooks, latency and parameter errors shared by every data route. */
  async function admit (route: SampleRoute, request: FastifyRequest, reply: FastifyReply): Promise<Record<string, string> | null> {
    const query = request.query as Record<string, string>
    const info: SampleRequest = { route, n: ++served, path: request.url.split('?')[0] ?? '', query }
    options.onRequest?.(info)
    const now = Date.now()
    if (now - window.startedAt >= rateLimit.windowMs) { window.startedAt = now; window.used = 0 }
    window.used++
    const resetMs = window.startedAt + rateLimit.windowMs
    reply.header('x-ratelimit-limit', String(rateLimit.limit))
    reply.header('x-ratelimit-remaining', String(Math.max(0, rateLimit.limit - window.used)))
    reply.header('x-ratelimit-reset', String(Math.ceil(resetMs / 1000)))
    if (window.used > rateLimit.limit) {
      reply.header('retry-after', String(Math.max(1, Math.ceil((resetMs - now) / 1000))))
      sendError(reply, 429, 'rate_limited', `Rate limit of ${rateLimit.limit} requests per ${rateLimit.windowMs} ms exceeded.`)
      return null
    }
    const fault = options.fault?.(info)
    if (fault !== undefined) {
      reply.code(fault.status).headers(fault.headers ?? {}).send(fault.body ?? { error: { code: 'fault', message: `Injected ${fault.status}.` } })
      return null
    }
    try {
      await delay((options.latencyMs ?? 0) + intParam(query, 'latency_ms', 0, 0, DATASET_LIMITS.latencyMs))
    } catch (error) {
      if (error instanceof BadParam) { sendError(reply, 400, 'invalid_parameter', error.message); return null }
      throw error
    }
    return query
  }

  function sizes (query: Record<string, string>): { limit: number, customers: number, perCustomer: number } {
    return {
      limit: intParam(query, 'limit', SAMPLE_API_DEFAULTS.pageSize, 1, DATASET_LIMITS.pageSize),
      customers: intParam(query, 'customers', SAMPLE_API_DEFAULTS.customers, 0, DATASET_LIMITS.customers),
      perCustomer: intParam(query, 'orders_per_customer', SAMPLE_API_DEFAULTS.ordersPerCustomer, 0, DATASET_LIMITS.ordersPerCustomer)
    }
  }

  function handle (route: SampleRoute, answer: (query: Record<string, string>, request: FastifyRequest, reply: FastifyReply) => unknown) {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const query = await admit(route, request, reply)
      if (query === null) return reply
      try {
        return answer(query, request, reply)
      } catch (error) {
        if (error instanceof BadParam) return sendError(reply, 400, 'invalid_parameter', error.message)
        throw error
      }
    }
  }

  // Not part of the service's API document; its traffic is the Demo sync's own, so keep it out of info logs.
  const hidden = { schema: { hide: true }, logLevel: 'warn' as const }

  app.get('/customers', hidden, handle('customers', (query, request, reply) => {
    const { limit, customers } = sizes(query)
    const since = instantParam(query, 'updated_since')
    const first = Math.max(cursorParam(query) + 1, since === null ? 1 : firstUpdatedAfter(customers, since, customerUpdatedMs))
    if (first > customers) return []
    const page = pageOf(first, customers, limit)
    if (page.more) {
      const next = new URLSearchParams(query)
      next.set('cursor', encodeCursor(page.to))
      next.set('limit', String(limit))
      reply.header('link', `<${origin(request)}${request.url.split('?')[0] ?? ''}?${next.toString()}>; rel="next"`)
    }
    const rows = []
    for (let id = page.from; id <= page.to; id++) rows.push(customer(id))
    return rows
  }))

  app.get('/orders', hidden, handle('orders', (query) => {
    const { limit, customers, perCustomer } = sizes(query)
    const total = customers * perCustomer
    const since = instantParam(query, 'updated_since')
    const first = Math.max(cursorParam(query) + 1, since === null ? 1 : firstUpdatedAfter(total, since, (id) => orderUpdatedMs(id, perCustomer)))
    if (first > total) return { data: [], next_cursor: null }
    const page = pageOf(first, total, limit)
    const data = []
    for (let id = page.from; id <= page.to; id++) data.push(order(id, perCustomer))
    return { data, next_cursor: page.more ? encodeCursor(page.to) : null }
  }))

  app.get('/customers/:id/notes', hidden, handle('notes', (query, request, reply) => {
    const { limit, customers } = sizes(query)
    const id = Number((request.params as { id: string }).id)
    if (!Number.isInteger(id) || id < 1 || id > customers) return sendError(reply, 404, 'not_found', 'No such customer.')
    const count = notesCount(id)
    const first = cursorParam(query) + 1
    if (first > count) return { data: [], next_cursor: null }
    const page = pageOf(first, count, limit)
    const data = []
    for (let k = page.from; k <= page.to; k++) data.push(note(id, k))
    return { data, next_cursor: page.more ? encodeCursor(page.to) : null }
  }))
}

export interface RunningSampleApi {
  /** Base URL of the API, e.g. http://127.0.0.1:41234/demo-api */
  baseUrl: string
  /** Every data request received, in order. */
  requests: SampleRequest[]
  close: () => Promise<void>
}

/** Start the sample API on its own (127.0.0.1, port 0 by default), outside the service. */
export async function startSampleApi (options: SampleApiOptions & { host?: string, port?: number } = {}): Promise<RunningSampleApi> {
  const requests: SampleRequest[] = []
  const app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: true })
  await app.register(sampleApi, {
    ...options,
    onRequest: (request) => { requests.push(request); options.onRequest?.(request) },
    prefix: SAMPLE_API_PREFIX
  })
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('sample API did not bind a TCP port')
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return { baseUrl: `http://${host}:${address.port}${SAMPLE_API_PREFIX}`, requests, close: async () => { await app.close() } }
}
