/** The sample API's contract (api_inventory.md), standalone on 127.0.0.1:0. */
import t from 'tap'
import { customer, customerUpdatedMs, note, order } from '../../src/sources/demo/dataset.js'
import { startSampleApi } from '../../src/sources/demo/sample-api.js'

const api = await startSampleApi({ rateLimit: { limit: 1000, windowMs: 60_000 } })
t.teardown(api.close)

async function get (path: string): Promise<{ status: number, headers: Headers, body: unknown }> {
  const response = await fetch(api.baseUrl + path)
  return { status: response.status, headers: response.headers, body: await response.json() }
}

function nextLink (headers: Headers): string | null {
  const match = /<([^>]+)>;\s*rel="next"/.exec(headers.get('link') ?? '')
  return match?.[1] ?? null
}

t.test('customers: JSON array, Link rel="next" carrying every param, last page has no link', async (t) => {
  const first = await get('/customers?customers=5&limit=2')
  t.equal(first.status, 200)
  t.same(first.body, [customer(1), customer(2)])
  const second = nextLink(first.headers)
  t.match(second, /^http:\/\/127\.0\.0\.1:\d+\/demo-api\/customers\?/)
  t.match(second, /customers=5/)
  const page2 = await fetch(second ?? '')
  t.same(await page2.json(), [customer(3), customer(4)])
  const page3 = await fetch(nextLink(page2.headers) ?? '')
  t.same(await page3.json(), [customer(5)])
  t.equal(nextLink(page3.headers), null)
})

t.test('orders: body cursor until next_cursor is null', async (t) => {
  const ids: number[] = []
  let cursor: string | null = ''
  let pages = 0
  while (cursor !== null) {
    const page = await get(`/orders?customers=3&orders_per_customer=2&limit=4${cursor === '' ? '' : `&cursor=${cursor}`}`)
    const body = page.body as { data: Array<{ id: number }>, next_cursor: string | null }
    ids.push(...body.data.map((o) => o.id))
    cursor = body.next_cursor
    pages++
  }
  t.same(ids, [1, 2, 3, 4, 5, 6])
  t.equal(pages, 2)
  const one = await get('/orders?customers=3&orders_per_customer=2&limit=1')
  t.same((one.body as { data: unknown[] }).data, [order(1, 2)])
})

t.test('updated_since returns rows updated strictly after it, in updated_at order', async (t) => {
  const since = customer(3).updated_at
  const page = await get(`/customers?customers=6&updated_since=${encodeURIComponent(since)}`)
  t.same((page.body as Array<{ id: number }>).map((c) => c.id), [4, 5, 6])
  const rows = page.body as Array<{ updated_at: string }>
  t.ok(rows.every((r, i) => i === 0 || Date.parse(r.updated_at) > Date.parse(rows[i - 1]?.updated_at ?? '')))
  const orders = await get(`/orders?customers=2&orders_per_customer=3&updated_since=${encodeURIComponent(order(4, 3).updated_at)}`)
  t.same((orders.body as { data: Array<{ id: number }> }).data.map((o) => o.id), [5, 6])
  for (let id = 1; id < 500; id++) if (customerUpdatedMs(id + 1) <= customerUpdatedMs(id)) t.fail(`updated_at not increasing at ${id}`)
})

t.test('notes per customer, 404 for an unknown customer', async (t) => {
  const notes = await get('/customers/4/notes?customers=10&limit=3')
  t.same(notes.body, { data: [note(4, 1), note(4, 2), note(4, 3)], next_cursor: (notes.body as { next_cursor: string }).next_cursor })
  t.type((notes.body as { next_cursor: unknown }).next_cursor, 'string')
  const none = await get('/customers/5/notes?customers=10')
  t.same(none.body, { data: [], next_cursor: null })
  const missing = await get('/customers/11/notes?customers=10')
  t.equal(missing.status, 404)
  t.match(missing.body, { error: { code: 'not_found' } })
})

t.test('bad params are 400 with an error object', async (t) => {
  for (const query of ['limit=0', 'limit=1001', 'customers=-1', 'updated_since=yesterday', 'cursor=abc', 'latency_ms=9999']) {
    const response = await get(`/customers?${query}`)
    t.equal(response.status, 400, query)
    t.match(response.body, { error: { code: 'invalid_parameter', message: String } }, query)
  }
})

t.test('rate-limit headers on every response; 429 with Retry-After past the limit', async (t) => {
  const limited = await startSampleApi({ rateLimit: { limit: 2, windowMs: 60_000 } })
  t.teardown(limited.close)
  const answers = []
  for (let i = 0; i < 3; i++) {
    const response = await fetch(`${limited.baseUrl}/customers?limit=1`)
    answers.push({ status: response.status, remaining: response.headers.get('x-ratelimit-remaining'), reset: response.headers.get('x-ratelimit-reset'), retryAfter: response.headers.get('retry-after') })
    await response.arrayBuffer()
  }
  t.same(answers.map((a) => [a.status, a.remaining]), [[200, '1'], [200, '0'], [429, '0']])
  t.ok(Number(answers[0]?.reset) >= Math.floor(Date.now() / 1000), 'reset is an epoch-seconds time')
  t.ok(Number(answers[2]?.retryAfter) >= 1)
  t.equal(limited.requests.length, 3)
})

t.test('the same dataset size always gives the same rows', async (t) => {
  const a = await get('/customers?customers=50&limit=50')
  const b = await get('/customers?customers=80&limit=50')
  t.same(a.body, b.body)
})
