/**
 * The Stripe source as the wizard sees it: name, form fields and labels, table list, credential
 * validation (success and each failure), the request budget, error rules and the pipeline handoff,
 * against the Stripe fake on loopback.
 */
import t from 'tap'
import { Compile } from 'typebox/compile'
import { type App } from '../../src/app.js'
import { type EngineServices } from '../../src/engine/services.js'
import { AppError, UpstreamAuthError, UpstreamHttpError } from '../../src/errors.js'
import { describeError } from '../../src/sources/error-rules.js'
import { SourceConfigSchema } from '../../src/sources/fields.js'
import { getSource } from '../../src/sources/registry.js'
import { DefinitionError } from '../../src/sources/definition.js'
import { checkDefinition, resolveBudgets } from '../../src/sources/rest-source.js'
import { STRIPE_DEFINITION, stripeSource } from '../../src/sources/stripe/source.js'
import type { SourceContext } from '../../src/sources/types.js'
import { CONNECTED_ACCOUNT, FAKE_RESTRICTED_KEY, startFakeStripe, type FakeStripe } from '../fakes/stripe.js'
import { startSourceHarness, type SourceHarness } from '../helpers/source-harness.js'

const CANARY = 'sk_test_51CANARYdoNotLog7f1c9a0123456789abcdef'
const NO_CUSTOMERS_KEY = 'rk_test_51ChargesOnlyKey0000000000000000000000'
const TABLES = [
  'customers', 'charges', 'invoices', 'subscriptions', 'products', 'prices', 'balance_transactions', 'refunds',
  'payment_intents', 'disputes', 'payouts', 'invoice_items', 'events'
]

let fake: FakeStripe
let services: EngineServices
let app: App
let harness: SourceHarness
const logLines: string[] = []

t.before(async () => {
  fake = await startFakeStripe({
    keys: { [CANARY]: {}, [FAKE_RESTRICTED_KEY]: { tables: ['customers', 'charges'] }, [NO_CUSTOMERS_KEY]: { tables: ['charges'] } }
  })
  harness = await startSourceHarness(t, { name: 'Stripe', upstream: fake, logLines })
  ;({ app, services } = harness)
})

function context (overrides: Partial<SourceContext> = {}): SourceContext {
  return harness.context(overrides)
}

async function validate (config: Record<string, unknown>) {
  return await harness.validate(config)
}

t.test('the source is registered as Stripe, found case-insensitively, with a valid SourceConfig and icon', async (t) => {
  t.equal(stripeSource.name, 'Stripe')
  t.equal(getSource('stripe'), stripeSource)
  const config = stripeSource.getSourceConfig()
  t.ok(Compile(SourceConfigSchema).Check(config), 'matches the published SourceConfig schema')
  t.equal(config.label, 'Stripe')
  t.equal(config.category, 'Payments & billing')
  t.equal(config.iconPath, '/static/services/stripe.svg')
  const listed = await app.inject({ method: 'GET', url: '/v1/sources' })
  t.ok((listed.json() as { sources: Array<{ name: string }> }).sources.some((s) => s.name === 'Stripe'))
  const icon = await app.inject({ method: 'GET', url: config.iconPath ?? '' })
  t.equal(icon.statusCode, 200)
  t.match(icon.headers['content-type'], /image\/svg\+xml/)
  t.match(icon.body, /^<svg[\s\S]*<\/svg>\s*$/)
  t.same(JSON.parse(JSON.stringify(STRIPE_DEFINITION)), STRIPE_DEFINITION, 'the definition is plain JSON data')
})

t.test('form fields: API key (secret password), optional connected account, requests-per-second select', async (t) => {
  const fields = stripeSource.getSourceConfig().fields
  t.same(fields.map((f) => [f.type, f.name, f.label, 'required' in f ? f.required : undefined]), [
    ['password', 'stripe_secret_key', 'API key', true],
    ['text', 'stripe_account_id', 'Connected account ID', false],
    ['select', 'requests_per_second', 'Requests per second', false]
  ])
  t.equal((fields[0] as { secret?: boolean }).secret, true)
  t.equal((fields[1] as { placeholder: string }).placeholder, 'acct_...')
  const rate = fields[2] as { defaultValue: string, options: Array<{ value: string }> }
  t.equal(rate.defaultValue, '25')
  t.same(rate.options.map((o) => o.value), ['25', '50', '100'], 'nothing above Stripe\'s live limit')
})

t.test('schemas: every table, keyed by id, incremental and append on created (datetime)', async (t) => {
  const listed = await app.inject({ method: 'GET', url: '/v1/sources/Stripe/schemas' })
  t.equal(listed.statusCode, 200)
  const schemas = (listed.json() as { schemas: Array<Record<string, unknown>> }).schemas
  t.same(schemas.map((s) => s.name), TABLES)
  for (const schema of schemas) {
    t.same(schema.primary_keys, ['id'], `${String(schema.name)} is keyed by id`)
    t.equal(schema.supports_incremental, true)
    t.equal(schema.supports_append, true)
    t.same(schema.incremental_fields, [{ label: 'Created at', type: 'datetime', field: 'created', field_type: 'datetime' }])
  }
  const withConfig = await app.inject({ method: 'POST', url: '/v1/sources/Stripe/schemas', payload: { config: { stripe_secret_key: CANARY } } })
  t.same((withConfig.json() as { schemas: unknown[] }).schemas, schemas)
})

t.test('credential check: one cheap list call with the bearer key and the pinned API version', async (t) => {
  const mark = fake.requests.length
  t.same((await validate({ stripe_secret_key: CANARY })).body, { valid: true })
  t.same((await validate({ stripe_secret_key: FAKE_RESTRICTED_KEY })).body, { valid: true }, 'a restricted key with Customers: Read')
  const seen = fake.requests.slice(mark)
  t.same(seen.map((r) => [r.path, r.query.toString()]), [['/v1/customers', 'limit=1'], ['/v1/customers', 'limit=1']])
  t.equal(seen[0]?.headers.authorization, `Bearer ${CANARY}`)
  t.equal(seen[0]?.headers['stripe-version'], '2024-06-20')
  t.equal(seen[0]?.headers['stripe-account'], undefined, 'no Stripe-Account header without a connected account')

  const connected = await validate({ stripe_secret_key: CANARY, stripe_account_id: CONNECTED_ACCOUNT })
  t.same(connected.body, { valid: true })
  t.equal(fake.requests.at(-1)?.headers['stripe-account'], CONNECTED_ACCOUNT)
})

t.test('credential check failures: invalid key, missing permission (named), unknown connected account, bad config', async (t) => {
  const invalid = await validate({ stripe_secret_key: 'sk_test_wrongwrongwrongwrong1234' })
  t.equal(invalid.status, 200)
  t.equal(invalid.body.code, 'INVALID_CREDENTIALS')
  t.match(invalid.body.message, /rejected the API key/)
  t.notMatch(invalid.raw, /sk_test_wrong|1234/, 'neither the key nor Stripe\'s masked echo of it')

  const restricted = await validate({ stripe_secret_key: NO_CUSTOMERS_KEY })
  t.equal(restricted.body.code, 'MISSING_PERMISSION')
  t.match(restricted.body.message, /Customers/, 'names the resource the key may not read')
  t.notMatch(restricted.raw, /rak_customer_read|acct_/, 'the vendor body is not echoed')

  const account = await validate({ stripe_secret_key: CANARY, stripe_account_id: 'acct_1NoSuchAccount000' })
  t.equal(account.body.code, 'ACCOUNT_NOT_FOUND')
  t.match(account.body.message, /Connected account ID/)

  const missing = await validate({ stripe_account_id: CONNECTED_ACCOUNT })
  t.equal(missing.status, 400)
  t.same(missing.body.errors.map((e: { path: string }) => e.path), ['/config/stripe_secret_key'])
  const badRate = await validate({ stripe_secret_key: CANARY, requests_per_second: '500' })
  t.equal(badRate.status, 400)
  t.equal(badRate.body.errors[0].path, '/config/requests_per_second')
})

t.test('the request budget: 25 a second by default, the chosen value otherwise', async (t) => {
  const budgets = STRIPE_DEFINITION.client.budgets
  t.same(resolveBudgets(budgets, {}), { default: { reservoir: 25, intervalMs: 1_000, maxConcurrent: 4 } })
  t.same(resolveBudgets(budgets, { requests_per_second: 100 }), { default: { reservoir: 100, intervalMs: 1_000, maxConcurrent: 4 } })
  t.throws(() => resolveBudgets({ default: { reservoir: { field: 'rps' } } }, { rps: 'many' }), { errors: [{ path: '/config/rps' }] })
  const typo = structuredClone(STRIPE_DEFINITION) as unknown as { client: { budgets: { default: { reservoir: { field: string } } } } }
  typo.client.budgets.default.reservoir.field = 'requests_per_secnd'
  const error = t.throws(() => checkDefinition(typo)) as unknown
  t.ok(error instanceof DefinitionError)
  t.match((error as DefinitionError).problems, [/^\/client\/budgets\/default\/reservoir: no form field "requests_per_secnd"/])
  const badPattern = structuredClone(STRIPE_DEFINITION) as unknown as { errors: Array<{ vendorPattern?: string }> }
  ;(badPattern.errors[2] as { vendorPattern?: string }).vendorPattern = '(unclosed'
  const patternError = t.throws(() => checkDefinition(badPattern)) as unknown
  t.same((patternError as DefinitionError).problems, ['/errors/2/vendorPattern: not a regular expression'])
})

t.test('pipeline handoff: table, sync type, both watermarks, resume state and page limit reach the engine', async (t) => {
  const config = { stripe_secret_key: CANARY }
  const mark = fake.requests.length
  const response = await stripeSource.sourceForPipeline(config,
    { schema: 'charges', syncType: 'incremental', incrementalField: 'created', lastValue: 1_735_900_000, earliestValue: 1_735_800_000, maxPages: 1 }, context())
  t.equal(response.name, 'charges')
  t.same(response.primaryKeys, ['id'])
  t.equal(response.partitionMode, 'datetime')
  t.same(response.partitionKeys, ['created'])
  t.equal(response.partitionFormat, 'month')
  t.equal(response.sortMode, 'desc')
  t.equal(response.tableFormat, 'delta')
  const pages = []
  for await (const page of response.pages) pages.push(page)
  t.equal(pages.length, 1, 'maxPages stops after one page')
  t.same(Object.fromEntries(fake.requests[mark]?.query ?? []), { limit: '100', 'created[lt]': '1735800000' }, 'the older phase first')

  const resumed = await stripeSource.sourceForPipeline(config,
    { schema: 'charges', syncType: 'incremental', incrementalField: 'created', lastValue: 1_735_900_000, earliestValue: 1_735_800_000, resumeState: pages[0]?.state ?? null }, context())
  const next = fake.requests.length
  for await (const page of resumed.pages) t.ok(Array.isArray(page.rows))
  t.same(fake.requests.slice(next).map((r) => r.query.has('created[lt]') ? 'older' : 'newer').at(-1), 'newer', 'the resumed run finishes with the newer phase')

  await t.rejects(stripeSource.sourceForPipeline(config, { schema: 'nope', syncType: 'full_refresh' }, context()), { code: 'SCHEMA_NOT_FOUND' })
  await t.rejects(stripeSource.sourceForPipeline(config, { schema: 'charges', syncType: 'incremental', incrementalField: 'amount' }, context()), { code: 'UNSUPPORTED_REQUEST' })
})

t.test('error rules: permanent failures in friendly words, naming the resource; rate limits stay retryable', async (t) => {
  const url = 'https://api.stripe.com/v1/charges'
  const rules = stripeSource.errorRules
  const describe = (error: AppError) => describeError(rules, error)
  t.match(describe(new UpstreamAuthError('x', 401, url, { vendorMessage: 'Invalid API Key provided: sk_test_****abcd' })), { message: /rejected the API key/, retryable: false })
  const permission = describe(new UpstreamAuthError('x', 403, url, { vendorMessage: 'The provided key \'rk_test_***\' does not have the required permissions for this endpoint' }))
  t.match(permission, { message: /may not read \/v1\/charges \(403\)/, retryable: false })
  const named = describe(new UpstreamAuthError('x', 403, url, { vendorMessage: 'The provided key \'rk_test_***abcd\' does not have the required permissions for this endpoint on account \'acct_1\'. Having the \'rak_charge_read\' permission would allow this request to continue.' }))
  t.match(named, { message: /lacks the rak_charge_read permission/, retryable: false })
  t.notMatch(named?.message, /acct_1|rk_test/, 'only the permission name is taken from Stripe\'s words')
  const freeText = describeError([{ status: 403, vendorPattern: 'having the (.+) permission', message: '{match}' }, { status: 403, message: 'fallback' }],
    new UpstreamAuthError('x', 403, url, { vendorMessage: 'Having the <script>alert(1)</script> permission' }))
  t.equal(freeText?.message, 'fallback', 'a capture that is not a short token makes the rule not match')
  t.match(describe(new UpstreamAuthError('x', 403, url, { vendorMessage: 'The provided key does not have access to account \'acct_x\'' })), { message: /connected account/, retryable: false })
  t.match(describe(new UpstreamHttpError('x', 400, url, { vendorMessage: 'No such charge: \'ch_1\'' })), { message: /no longer exists/, retryable: false })
  t.equal(describe(new UpstreamHttpError('x', 429, url, { retryable: true, vendorMessage: 'Request rate limit exceeded.' })), null, 'a rate limit is no permanent failure')
})

t.test('the key never reaches a log line or a response', async (t) => {
  await validate({ stripe_secret_key: CANARY })
  await validate({ stripe_secret_key: CANARY, stripe_account_id: 'acct_1NoSuchAccount000' })
  const sync = await app.inject({ method: 'POST', url: '/v1/sources/Stripe/sync', payload: { config: { stripe_secret_key: CANARY }, schema: 'refunds' } })
  t.notMatch(sync.body, new RegExp(CANARY))
  t.ok(logLines.length > 0, 'something was logged')
  t.notOk(logLines.some((line) => line.includes(CANARY)), 'no log line carries the key')
})
