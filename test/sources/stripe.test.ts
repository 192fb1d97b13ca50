/**
 * Stripe transport and tables against the Stripe fake on loopback: `starting_after` pagination from real
 * bodies, incremental vs full-refresh requests, the two-phase descending walk at sync level (an interrupted
 * first sync completes, no row read twice), primary keys, status mapping (429 without Retry-After,
 * lock_timeout, Stripe-Should-Retry, restricted keys, a vanished cursor), the connected-account header, every
 * declared table synced end to end through POST /v1/sources/Stripe/sync, and resume from every state line.
 */
import t from 'tap'
import { Compile } from 'typebox/compile'
import { buildApp, type App } from '../../src/app.js'
import type { Row } from '../../src/engine/types.js'
import { createEngineServices, type EngineServices } from '../../src/engine/services.js'
import { SyncLineSchema } from '../../src/sync/lines.js'
import { STRIPE_ENDPOINTS } from '../../src/sources/stripe/settings.js'
import { stripeSource } from '../../src/sources/stripe/source.js'
import { textPagesAgree } from '../helpers/source-sync.js'
import {
  CONNECTED_ACCOUNT, FAKE_RESTRICTED_KEY, FAKE_SECRET_KEY, RESOURCES, startFakeStripe, stripeError, type FakeStripe, type StripeObject, type StripeTable
} from '../fakes/stripe.js'

const checkLine = Compile(SyncLineSchema)

let fake: FakeStripe
let services: EngineServices
let app: App

t.before(async () => {
  fake = await startFakeStripe()
  services = createEngineServices({ allowPrivateUpstreams: true, retry: { maxAttempts: 4, baseDelayMs: 5, maxBackoffMs: 20 } })
  app = await buildApp({ settings: { LOG_LEVEL: 'silent', UPSTREAM_BASE_URLS: { Stripe: fake.url }, ALLOW_PRIVATE_UPSTREAMS: true }, services })
})

t.teardown(async () => {
  await app.close()
  await services.close()
  await fake.close()
})

interface SyncResult { status: number, lines: Array<Record<string, unknown>>, records: Row[], terminal: Record<string, unknown> | undefined }

async function sync (body: Record<string, unknown>, config: Record<string, unknown> = { stripe_secret_key: FAKE_SECRET_KEY }): Promise<SyncResult> {
  const response = await app.inject({ method: 'POST', url: '/v1/sources/Stripe/sync', payload: { config, ...body } })
  if (response.statusCode !== 200) return { status: response.statusCode, lines: [response.json()], records: [], terminal: undefined }
  const lines = response.body.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
  return { status: 200, lines, records: lines.filter((l) => l.type === 'record').map((l) => l.data as Row), terminal: lines.at(-1) }
}

function ids (rows: readonly Row[]): string[] {
  return rows.map((r) => r.id as string)
}

/** The fake's objects of a table as Stripe lists them: newest first. */
function newestFirst (table: StripeTable, filter: (o: StripeObject) => boolean = () => true, account?: string): string[] {
  return [...fake.objects(table, account)].reverse().filter(filter).map((o) => o.id)
}

t.test('pagination: limit=100, starting_after = the last id of the page, stop when has_more is false', async (t) => {
  const mark = fake.requests.length
  const result = await sync({ schema: 'customers' })
  t.equal(result.terminal?.type, 'end')
  const seen = fake.requests.slice(mark)
  t.same(seen.map((r) => Object.fromEntries(r.query)), [
    { limit: '100' },
    { limit: '100', starting_after: result.records[99]?.id },
    { limit: '100', starting_after: result.records[199]?.id }
  ], '250 customers: three pages, each cursor the last id of the page before')
  t.same(ids(result.records), newestFirst('customers'), 'every customer once, newest first')
})

t.test('every declared table syncs end to end with rows of the declared shape', async (t) => {
  for (const endpoint of STRIPE_ENDPOINTS) {
    const table = endpoint.name as StripeTable
    const result = await sync({ schema: table })
    t.equal(result.status, 200, table)
    for (const line of result.lines) t.ok(checkLine.Check(line), `${table}: ${String(line.type)} line matches the line schema`)
    t.match(result.lines[0], { type: 'schema', name: table, primary_keys: ['id'], partition_keys: ['created'], partition_mode: 'datetime', sort_mode: 'desc', table_format: 'delta' })
    t.equal(result.terminal?.type, 'end', `${table} ends`)
    t.same(ids(result.records), newestFirst(table), `${table}: every object once, newest first`)
    for (const row of result.records) {
      t.equal(row.object, RESOURCES[table].object)
      t.equal(typeof row.created, 'number')
    }
  }
})

t.test('subscriptions are listed with status=all, so canceled ones arrive too', async (t) => {
  const mark = fake.requests.length
  const result = await sync({ schema: 'subscriptions' })
  t.equal(fake.requests[mark]?.query.get('status'), 'all')
  t.ok(result.records.some((r) => r.status === 'canceled'), 'canceled subscriptions are synced')
  t.equal(result.records.length, fake.objects('subscriptions').length)
})

t.test('rows keep Stripe\'s nested objects and nulls as they are', async (t) => {
  const result = await sync({ schema: 'charges' })
  const first = result.records[0] as Row
  const original = fake.objects('charges').find((o) => o.id === first.id)
  t.same(first, original, 'a row is the object, unchanged')
  t.ok(result.records.some((r) => r.customer === null), 'nulls survive')
  t.match(first, { payment_method_details: { type: 'card', card: { brand: String } }, refunds: { object: 'list', data: [] } })
})

t.test('incremental and full-refresh requests: no filter, created[gt] only, or the two-phase walk', async (t) => {
  let mark = fake.requests.length
  await sync({ schema: 'payouts' })
  t.notOk(fake.requests.slice(mark).some((r) => [...r.query.keys()].some((k) => k.startsWith('created'))), 'a full refresh sends no created filter')

  const payouts = fake.objects('payouts')
  const last = (payouts.at(-3) as StripeObject).created
  mark = fake.requests.length
  const newer = await sync({ schema: 'payouts', sync_type: 'incremental', last_value: last })
  t.same(fake.requests.slice(mark).map((r) => Object.fromEntries(r.query)), [{ limit: '100', 'created[gt]': String(last) }], 'created[gt], never gte')
  t.same(ids(newer.records), newestFirst('payouts', (o) => o.created > last))
  t.equal(newer.terminal?.last_value, (payouts.at(-1) as StripeObject).created)
})

t.test('an interrupted first sync completes on the next run, and no row is read twice', async (t) => {
  // First sync of charges (120 objects), cut after one page: it saw the newest 100.
  const first = await sync({ schema: 'charges', sync_type: 'append', limits: { max_pages: 1 } })
  t.equal(first.terminal?.type, 'end')
  t.equal(first.records.length, 100)
  const lastValue = first.terminal?.last_value as number
  const earliestValue = first.terminal?.earliest_value as number
  t.equal(lastValue, Math.max(...first.records.map((r) => r.created as number)))
  t.equal(earliestValue, Math.min(...first.records.map((r) => r.created as number)))

  // Meanwhile three new charges arrive; the next run starts from the stored watermarks (no resume token).
  const added = fake.addObjects('charges', 3)
  const mark = fake.requests.length
  const second = await sync({ schema: 'charges', sync_type: 'append', last_value: lastValue, earliest_value: earliestValue })
  t.equal(second.terminal?.type, 'end')
  const phases = fake.requests.slice(mark).map((r) => r.query.has('created[lt]') ? `lt ${String(r.query.get('created[lt]'))}` : `gt ${String(r.query.get('created[gt]'))}`)
  t.same(phases, [`lt ${earliestValue}`, `gt ${lastValue}`], 'older than earliest_value first, then newer than last_value')

  const all = [...first.records, ...second.records].map((r) => r.id as string)
  t.equal(new Set(all).size, all.length, 'no row was read twice')
  const everything = new Set(fake.objects('charges').map((o) => o.id))
  // Objects in the very second of the earliest watermark are skipped by the exclusive bound (see api_inventory.md).
  const boundary = fake.objects('charges').filter((o) => o.created === earliestValue && !first.records.some((r) => r.id === o.id)).map((o) => o.id)
  t.same(new Set(all), new Set([...everything].filter((id) => !boundary.includes(id))), 'every charge arrived once')
  t.same(ids(second.records).slice(-3), added.map((o) => o.id).reverse(), 'the new charges come last, newest first')
  t.equal(second.terminal?.last_value, (added.at(-1) as StripeObject).created, 'the new last value')
  t.equal(second.terminal?.earliest_value, (fake.objects('charges')[0] as StripeObject).created, 'the new earliest value: the oldest charge')
})

t.test('resume from every state line of a multi-page table continues right after its page', async (t) => {
  // Stored watermarks of a run that read customers 151 … 200 (oldest first): 150 older ones in two pages, 50 newer in one.
  const customers = fake.objects('customers')
  const watermarks = { last_value: customers[199]?.created, earliest_value: customers[150]?.created }
  const full = await sync({ schema: 'customers', sync_type: 'incremental', ...watermarks })
  const states = full.lines.filter((l) => l.type === 'state')
  t.equal(states.length, 2, 'a state line after each older page (the second hands over to the newer phase)')
  const all = ids(full.records)
  t.equal(new Set(all).size, all.length)
  for (const state of states) {
    const before = state.rows as number
    const rest = await sync({ schema: 'customers', sync_type: 'incremental', ...watermarks, resume_state: state.state })
    t.equal(rest.terminal?.type, 'end')
    t.same(ids(rest.records), all.slice(before), `resumed after ${before} rows`)
  }
  const plain = await sync({ schema: 'customers' })
  for (const state of plain.lines.filter((l) => l.type === 'state')) {
    const rest = await sync({ schema: 'customers', resume_state: state.state })
    t.same(ids(rest.records), ids(plain.records).slice(state.rows as number), `full refresh resumed after ${String(state.rows)} rows`)
  }
})

t.test('status mapping: 429 without Retry-After backs off; lock_timeout and Stripe-Should-Retry: true are retried', async (t) => {
  const path = RESOURCES.refunds.path
  fake.inject(
    { path, status: 429, body: stripeError('invalid_request_error', 'Request rate limit exceeded.', { code: 'rate_limit' }) },
    { path, status: 429, body: stripeError('invalid_request_error', 'This object cannot be accessed right now because another API request or Stripe process is currently accessing it.', { code: 'lock_timeout' }), headers: { 'stripe-should-retry': 'true' } },
    { path, status: 409, body: stripeError('api_error', 'There was a conflict with another request.'), headers: { 'stripe-should-retry': 'true' } }
  )
  const mark = fake.requests.length
  const result = await sync({ schema: 'refunds' })
  t.equal(result.terminal?.type, 'end')
  t.same(ids(result.records), newestFirst('refunds'))
  t.same(fake.requests.slice(mark).map((r) => r.status), [429, 429, 409, 200])
  const waits = result.lines.filter((l) => l.type === 'log' && (l.event === 'rate_limit_wait' || l.event === 'retry'))
  t.same(waits.map((l) => [l.status, l.reason]), [[429, 'backoff'], [429, 'backoff'], [409, 'backoff']], 'no Retry-After: exponential backoff with jitter')
})

t.test('status mapping: Stripe-Should-Retry: false ends at once, not retryable; a 5xx without it is retried', async (t) => {
  const path = RESOURCES.disputes.path
  fake.inject({ path, status: 500, body: stripeError('api_error', 'Something went wrong on Stripe\'s end.'), headers: { 'stripe-should-retry': 'false' } })
  const mark = fake.requests.length
  const refused = await sync({ schema: 'disputes' })
  t.equal(fake.requests.length - mark, 1, 'one request, no retry')
  t.match(refused.terminal, { type: 'error', retryable: false })

  fake.inject({ path, status: 503, body: stripeError('api_error', 'Temporarily unavailable.') })
  const recovered = await sync({ schema: 'disputes' })
  t.equal(recovered.terminal?.type, 'end')
  t.same(ids(recovered.records), newestFirst('disputes'))
})

t.test('status mapping: a restricted key without the permission fails at once, naming the resource', async (t) => {
  const mark = fake.requests.length
  const result = await sync({ schema: 'invoices' }, { stripe_secret_key: FAKE_RESTRICTED_KEY })
  t.equal(fake.requests.length - mark, 1, 'a 403 is never retried')
  t.match(result.terminal, { type: 'error', code: 'UPSTREAM_AUTH_FAILED', retryable: false, message: /may not read \/v1\/invoices: it lacks the rak_invoice_read permission/ })
  t.notMatch(JSON.stringify(result.terminal), /acct_|rk_test|\*\*\*/, 'the rest of Stripe\'s message (masked key, account) is not echoed')

  // Checking each table before a sync: a one-page preview answers which tables the key may read.
  const readable: string[] = []
  for (const table of ['customers', 'charges', 'invoices', 'events'] as const) {
    const preview = await sync({ schema: table, limits: { max_pages: 1 } }, { stripe_secret_key: FAKE_RESTRICTED_KEY })
    if (preview.terminal?.type === 'end') readable.push(table)
  }
  t.same(readable, ['customers', 'charges'])
})

t.test('status mapping: a cursor whose object vanished is a permanent error with a way out', async (t) => {
  const plain = await sync({ schema: 'customers', limits: { max_pages: 1 } })
  const state = plain.lines.find((l) => l.type === 'state')?.state
  const list = fake.objects('customers')
  const cursorId = plain.records.at(-1)?.id
  const index = list.findIndex((o) => o.id === cursorId)
  const [removed] = list.splice(index, 1)
  t.teardown(() => { list.splice(index, 0, removed as StripeObject) })
  const resumed = await sync({ schema: 'customers', resume_state: state })
  t.match(resumed.terminal, { type: 'error', retryable: false, message: /restart the sync without resume_state/ })
})

t.test('a connected account is read through the Stripe-Account header', async (t) => {
  const mark = fake.requests.length
  const result = await sync({ schema: 'products' }, { stripe_secret_key: FAKE_SECRET_KEY, stripe_account_id: CONNECTED_ACCOUNT })
  t.equal(fake.requests[mark]?.headers['stripe-account'], CONNECTED_ACCOUNT)
  t.same(ids(result.records), newestFirst('products', () => true, CONNECTED_ACCOUNT))
  const own = await sync({ schema: 'products' })
  t.notSame(ids(own.records), ids(result.records), 'not the platform\'s own products')
  const unknown = await sync({ schema: 'products' }, { stripe_secret_key: FAKE_SECRET_KEY, stripe_account_id: 'acct_1NoSuchAccount000' })
  t.match(unknown.terminal, { type: 'error', code: 'UPSTREAM_AUTH_FAILED', retryable: false, message: /Connected account ID/ })
})

t.test('primary keys are present and unique in every table', async (t) => {
  for (const endpoint of STRIPE_ENDPOINTS) {
    const { records } = await sync({ schema: endpoint.name })
    const keys = records.map((r) => r.id)
    t.ok(keys.every((k) => typeof k === 'string' && k.startsWith(`${RESOURCES[endpoint.name as StripeTable].prefix}_`)), `${endpoint.name}: ids with Stripe's prefix`)
    t.equal(new Set(keys).size, keys.length, `${endpoint.name}: unique`)
  }
})

t.test('the fake follows the documented contract: limits, unknown params, basic auth, ending_before', async (t) => {
  const get = async (path: string, headers: Record<string, string> = { authorization: `Bearer ${FAKE_SECRET_KEY}` }) => {
    const response = await fetch(`${fake.url}${path}`, { headers })
    return { status: response.status, body: await response.json() as Record<string, any> }
  }
  const defaults = await get('/v1/customers')
  t.equal(defaults.body.data.length, 10, 'default limit 10')
  t.match(defaults.body, { object: 'list', url: '/v1/customers', has_more: true })
  t.match(await get('/v1/customers?limit=101'), { status: 400, body: { error: { type: 'invalid_request_error', param: 'limit' } } })
  t.match(await get('/v1/customers?created[gt]=soon'), { status: 400, body: { error: { param: 'created[gt]' } } })
  t.match(await get('/v1/customers?colour=blue'), { status: 400, body: { error: { code: 'parameter_unknown', param: 'colour' } } })
  t.match(await get('/v1/customers?starting_after=cus_nope'), { status: 400, body: { error: { code: 'resource_missing', param: 'starting_after' } } })
  t.match(await get('/v1/customers', {}), { status: 401 })
  const basic = await get('/v1/customers?limit=1', { authorization: `Basic ${Buffer.from(`${FAKE_SECRET_KEY}:`).toString('base64')}` })
  t.equal(basic.status, 200, 'HTTP basic with the key as user')
  const page = await get('/v1/customers?limit=3')
  const before = await get(`/v1/customers?limit=2&ending_before=${String(page.body.data[2].id)}`)
  t.same(before.body.data.map((o: { id: string }) => o.id), page.body.data.slice(0, 2).map((o: { id: string }) => o.id))
  const tie = fake.objects('customers').find((o, i, all) => i > 0 && all[i - 1]?.created === o.created)
  t.ok(tie, 'some objects share a created second')
})

t.test('text pages: every table writes the same record lines from the upstream text (wrapped in data, has_more and the last id read off it)', async (t) => {
  const counts = await textPagesAgree(t, stripeSource, { stripe_secret_key: FAKE_SECRET_KEY }, services, fake.url)
  t.ok(Object.values(counts).every((n) => n > 0), `every table has text pages (${JSON.stringify(counts)})`)
})
