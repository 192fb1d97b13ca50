/** A declared retry-hint header (Stripe-Should-Retry) decides retries per response, both ways; 401/403 stay final. */
import t, { type Test } from 'tap'
import type { Endpoint } from '../../src/engine/declarations.js'
import { retryHint } from '../../src/engine/retry.js'
import { UpstreamAuthError, UpstreamHttpError } from '../../src/errors.js'
import { startRestFake, type FakeResponse, type RestFake } from '../fakes/rest-fake.js'
import { collect, testRun, testServices } from './helpers.js'

const ok: FakeResponse = { json: [{ id: 1 }] }
const endpoint: Endpoint = { name: 'items', primaryKeys: ['id'], path: '/items', paginator: { type: 'single_page' } }
const HINT = 'Stripe-Should-Retry'

async function sequence (t: Test, responses: FakeResponse[]): Promise<RestFake> {
  let i = 0
  const fake = await startRestFake({ 'GET /items': () => responses[i++] ?? ok })
  t.teardown(async () => { await fake.close() })
  return fake
}

function clientFor (t: Test, fake: RestFake, retryHintHeader: string | null = HINT) {
  const services = testServices()
  t.teardown(async () => { await services.close() })
  const run = testRun()
  const client = services.createClient({ source: 'Hint', baseUrl: fake.url, auth: { type: 'none' }, ...(retryHintHeader === null ? {} : { retryHintHeader }) }, run)
  return { client, run }
}

t.test('the header is read case-insensitively; anything but true/false is no hint', async (t) => {
  t.equal(retryHint({ 'stripe-should-retry': 'true' }, HINT), true)
  t.equal(retryHint({ 'stripe-should-retry': ' FALSE ' }, HINT), false)
  t.equal(retryHint({ 'stripe-should-retry': 'maybe' }, HINT), undefined)
  t.equal(retryHint({}, HINT), undefined)
  t.equal(retryHint({ 'stripe-should-retry': 'true' }, undefined), undefined, 'undeclared: ignored')
})

t.test('false: a 5xx or 429 is not retried and the error says so', async (t) => {
  for (const status of [500, 429]) {
    const fake = await sequence(t, [{ status, headers: { 'stripe-should-retry': 'false' }, json: { error: { message: 'no' } } }])
    const { client } = clientFor(t, fake)
    const error = await collect(client.pages(endpoint)).then(() => null, (e: unknown) => e)
    t.ok(error instanceof UpstreamHttpError, `${status}: typed error`)
    t.equal((error as UpstreamHttpError).retryable, false, `${status}: not retryable`)
    t.equal(fake.requests.length, 1, `${status}: one attempt`)
  }
})

t.test('true: a status the engine would not retry (409) is retried with backoff', async (t) => {
  const fake = await sequence(t, [{ status: 409, headers: { 'stripe-should-retry': 'true' }, json: { error: { message: 'conflict' } } }])
  const { client, run } = clientFor(t, fake)
  const { rows } = await collect(client.pages(endpoint))
  t.equal(rows.length, 1)
  t.equal(fake.requests.length, 2)
  t.match(run.events.find((e) => e.event === 'retry'), { status: 409, reason: 'backoff' })
})

t.test('true never retries a rejected credential; without the declaration the header is ignored', async (t) => {
  const auth = await sequence(t, [{ status: 401, headers: { 'stripe-should-retry': 'true' }, json: { error: { message: 'bad key' } } }])
  await t.rejects(collect(clientFor(t, auth).client.pages(endpoint)), UpstreamAuthError)
  t.equal(auth.requests.length, 1)

  const undeclared = await sequence(t, [{ status: 500, headers: { 'stripe-should-retry': 'false' }, json: {} }])
  const { rows } = await collect(clientFor(t, undeclared, null).client.pages(endpoint))
  t.equal(rows.length, 1, 'a 5xx is retried as usual')
  t.equal(undeclared.requests.length, 2)
})
