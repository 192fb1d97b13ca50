/**
 * A fake Stripe API on 127.0.0.1, following the contract in src/sources/stripe/api_inventory.md:
 * `Authorization: Bearer <key>` (or HTTP basic with the key as user), `{ object: "list", url, has_more, data }`
 * lists newest first, `limit` 1–100 (default 10), `starting_after` / `ending_before` cursors (an unknown id is
 * a 400 `resource_missing`), `created[gt|gte|lt|lte]` filters, unknown params refused (400
 * `parameter_unknown`), `subscriptions` without canceled ones unless `status=all`, the `Stripe-Account`
 * header selecting a connected account (unknown → 403 `account_invalid`), restricted keys (403 naming the
 * missing `rak_*` permission), 401 for an invalid key, a `request-id` on every answer, and injected failures
 * (429 without `Retry-After`, `lock_timeout`, `Stripe-Should-Retry`, 5xx) on demand.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { buildObject, buildObjects, DEFAULT_COUNTS, RESOURCES, STRIPE_TABLES, type Json, type StripeObject, type StripeTable } from './stripe-data.js'

export { DEFAULT_COUNTS, FIRST_CREATED, RESOURCES, STRIPE_TABLES, type StripeObject, type StripeTable } from './stripe-data.js'

export const FAKE_SECRET_KEY = 'sk_test_51FakeSecretKeyCanary0123456789abcdefWXYZ'
export const FAKE_RESTRICTED_KEY = 'rk_test_51FakeRestrictedKeyCanary0123456789ghij'
export const PLATFORM_ACCOUNT = 'acct_1FakePlatform00'
export const CONNECTED_ACCOUNT = 'acct_1FakeConnected0'
const DOCS = 'https://stripe.com/docs/error-codes'

export interface KeyGrant {
  /** Tables a restricted key may read; absent: every table (a secret key). */
  tables?: StripeTable[]
}

export interface FakeStripeOptions {
  /** Objects per table on the platform account (defaults: DEFAULT_COUNTS). */
  counts?: Partial<Record<StripeTable, number>>
  /** Objects per table on the connected account (default 3 each). */
  connectedCounts?: Partial<Record<StripeTable, number>>
  /** Valid keys. Default: FAKE_SECRET_KEY (all tables) and FAKE_RESTRICTED_KEY (customers and charges). */
  keys?: Record<string, KeyGrant>
}

export interface LoggedRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: Record<string, string | undefined>
  status: number
  at: number
}

export interface Injected {
  status: number
  body: Json
  headers?: Record<string, string>
  /** Only requests to this path (default: any). */
  path?: string
}

export interface FakeStripe {
  url: string
  requests: LoggedRequest[]
  /** The objects of a table, oldest first (mutable: tests add rows between syncs). */
  objects: (table: StripeTable, account?: string) => StripeObject[]
  /** Append `count` objects newer than every existing one; returns them. */
  addObjects: (table: StripeTable, count: number, account?: string) => StripeObject[]
  /** The next matching requests answer these failures, in order. */
  inject: (...failures: Injected[]) => void
  requestsTo: (table: StripeTable) => LoggedRequest[]
  close: () => Promise<void>
}

/** Stripe's error envelope. */
export function stripeError (type: string, message: string, extra: Json = {}): Json {
  return { error: { type, message, ...extra } }
}

/** A key as Stripe shows it in messages: prefix, stars, last four characters. */
function masked (key: string): string {
  const prefix = /^(sk|rk|pk)_(test|live)_/.exec(key)?.[0] ?? ''
  return `${prefix}${'*'.repeat(Math.max(0, key.length - prefix.length - 4))}${key.slice(-4)}`
}

function keyOf (req: IncomingMessage): string | null {
  const header = req.headers.authorization ?? ''
  const bearer = /^Bearer\s+(\S+)$/i.exec(header)
  if (bearer !== null) return bearer[1] as string
  const basic = /^Basic\s+(\S+)$/i.exec(header)
  if (basic !== null) return Buffer.from(basic[1] as string, 'base64').toString('utf8').split(':')[0] ?? null
  return null
}

const PAGING = new Set(['limit', 'starting_after', 'ending_before', 'expand[]'])
const CREATED = /^created\[(gt|gte|lt|lte)\]$/

interface Filter { op: 'gt' | 'gte' | 'lt' | 'lte', value: number }

function matches (object: StripeObject, filters: readonly Filter[]): boolean {
  return filters.every(({ op, value }) => op === 'gt' ? object.created > value : op === 'gte' ? object.created >= value
    : op === 'lt' ? object.created < value : object.created <= value)
}

export async function startFakeStripe (options: FakeStripeOptions = {}): Promise<FakeStripe> {
  const keys = options.keys ?? { [FAKE_SECRET_KEY]: {}, [FAKE_RESTRICTED_KEY]: { tables: ['customers', 'charges'] } }
  const data = new Map<string, Map<StripeTable, StripeObject[]>>()
  const seqs = new Map<string, number>()
  for (const [account, counts] of [[PLATFORM_ACCOUNT, { ...DEFAULT_COUNTS, ...options.counts }], [CONNECTED_ACCOUNT, options.connectedCounts ?? {}]] as const) {
    const tables = new Map<StripeTable, StripeObject[]>()
    for (const table of STRIPE_TABLES) {
      const count = (counts as Partial<Record<StripeTable, number>>)[table] ?? 3
      tables.set(table, buildObjects(table, count, account))
      seqs.set(`${account}/${table}`, count)
    }
    data.set(account, tables)
  }
  const byPath = new Map(STRIPE_TABLES.map((t) => [RESOURCES[t].path, t]))
  const injected: Injected[] = []
  const requests: LoggedRequest[] = []
  let requestSeq = 0

  const send = (req: IncomingMessage, res: ServerResponse, url: URL, status: number, body: Json, headers: Record<string, string> = {}): void => {
    requestSeq++
    const text = JSON.stringify(body)
    res.writeHead(status, {
      'content-type': 'application/json',
      'request-id': `req_fake${String(requestSeq).padStart(8, '0')}`,
      'stripe-version': '2024-06-20',
      ...headers
    })
    res.end(text)
    const logged: Record<string, string | undefined> = {}
    for (const [name, value] of Object.entries(req.headers)) logged[name] = Array.isArray(value) ? value.join(', ') : value
    requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: logged, status, at: Date.now() })
  }

  const invalid = (message: string, extra: Json = {}): Json => stripeError('invalid_request_error', message, extra)

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const key = keyOf(req)
    if (key === null) {
      send(req, res, url, 401, invalid('You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').'))
      return
    }
    const grant = keys[key]
    if (grant === undefined) {
      send(req, res, url, 401, invalid(`Invalid API Key provided: ${masked(key)}`))
      return
    }
    const account = req.headers['stripe-account'] ?? PLATFORM_ACCOUNT
    const tables = data.get(String(account))
    if (tables === undefined) {
      send(req, res, url, 403, stripeError('invalid_request_error',
        `The provided key '${masked(key)}' does not have access to account '${String(account)}' (or that account does not exist). Application access may have been revoked.`,
        { code: 'account_invalid', doc_url: `${DOCS}#account-invalid` }))
      return
    }
    const at = injected.findIndex((f) => f.path === undefined || f.path === url.pathname)
    if (at >= 0) {
      const failure = injected.splice(at, 1)[0] as Injected
      send(req, res, url, failure.status, failure.body, failure.headers)
      return
    }
    const table = byPath.get(url.pathname)
    if (table === undefined || req.method !== 'GET') {
      send(req, res, url, 404, invalid(`Unrecognized request URL (${req.method ?? 'GET'}: ${url.pathname}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`))
      return
    }
    const spec = RESOURCES[table]
    if (grant.tables !== undefined && !grant.tables.includes(table)) {
      send(req, res, url, 403, invalid(`The provided key '${masked(key)}' does not have the required permissions for this endpoint on account '${String(account)}'. Having the '${spec.permission}' permission would allow this request to continue.`))
      return
    }
    const query = url.searchParams
    const filters: Filter[] = []
    for (const [name, value] of query) {
      const created = CREATED.exec(name)
      if (created !== null) {
        if (!/^\d+$/.test(value)) {
          send(req, res, url, 400, invalid(`Invalid integer: ${value}`, { param: name, doc_url: `${DOCS}#parameter-invalid-integer`, code: 'parameter_invalid_integer' }))
          return
        }
        filters.push({ op: created[1] as Filter['op'], value: Number(value) })
        continue
      }
      if (!PAGING.has(name) && !(spec.params ?? []).includes(name)) {
        send(req, res, url, 400, invalid(`Received unknown parameter: ${name}`, { param: name, code: 'parameter_unknown', doc_url: `${DOCS}#parameter-unknown` }))
        return
      }
    }
    const limitText = query.get('limit')
    const limit = limitText === null ? 10 : Number(limitText)
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      send(req, res, url, 400, invalid('Invalid limit: must be an integer between 1 and 100.', { param: 'limit', code: 'parameter_invalid_integer' }))
      return
    }
    if (query.has('starting_after') && query.has('ending_before')) {
      send(req, res, url, 400, invalid('You may only specify one of these parameters: starting_after, ending_before.', { param: 'starting_after' }))
      return
    }
    const all = tables.get(table) as StripeObject[]
    // Newest first; objects created in the same second keep their reverse insertion order.
    const newestFirst = [...all].reverse()
    let list = newestFirst.filter((o) => matches(o, filters))
    if (table === 'subscriptions') {
      const status = query.get('status')
      if (status === null) list = list.filter((o) => o.status !== 'canceled' && o.status !== 'incomplete_expired')
      else if (status !== 'all') list = list.filter((o) => o.status === status)
    }
    let endingBefore = false
    for (const cursorParam of ['starting_after', 'ending_before'] as const) {
      const cursor = query.get(cursorParam)
      if (cursor === null) continue
      const position = newestFirst.findIndex((o) => o.id === cursor)
      if (position < 0) {
        send(req, res, url, 400, invalid(`No such ${spec.object}: '${cursor}'`, { param: cursorParam, code: 'resource_missing', doc_url: `${DOCS}#resource-missing` }))
        return
      }
      const rank = new Map(newestFirst.map((o, i) => [o.id, i]))
      list = list.filter((o) => cursorParam === 'starting_after' ? (rank.get(o.id) as number) > position : (rank.get(o.id) as number) < position)
      endingBefore ||= cursorParam === 'ending_before'
    }
    // ending_before: the `limit` objects right before the cursor (the newer side), still newest first.
    const page = endingBefore ? list.slice(-limit) : list.slice(0, limit)
    send(req, res, url, 200, { object: 'list', url: spec.path, has_more: list.length > page.length, data: page })
  }

  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => { handle(req, res) })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const objectsOf = (table: StripeTable, account = PLATFORM_ACCOUNT): StripeObject[] => data.get(account)?.get(table) ?? []
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    objects: objectsOf,
    addObjects: (table, count, account = PLATFORM_ACCOUNT) => {
      const list = objectsOf(table, account)
      const added: StripeObject[] = []
      let created = Math.max(...list.map((o) => o.created), Math.floor(Date.now() / 1000) - 86_400)
      for (let i = 0; i < count; i++) {
        const seq = (seqs.get(`${account}/${table}`) ?? 0) + 1
        seqs.set(`${account}/${table}`, seq)
        created += 60
        const object = buildObject(table, seq, created, account)
        list.push(object)
        added.push(object)
      }
      return added
    },
    inject: (...failures) => { injected.push(...failures) },
    requestsTo: (table) => requests.filter((r) => r.path === RESOURCES[table].path),
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    }
  }
}
