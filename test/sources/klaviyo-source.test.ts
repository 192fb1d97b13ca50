/**
 * The Klaviyo source as the wizard sees it: name, form fields and labels, table list, credential
 * validation (success and each failure) and the pipeline handoff, against the Klaviyo fake on loopback.
 */
import t from 'tap'
import { Compile } from 'typebox/compile'
import { type App } from '../../src/app.js'
import { type EngineServices } from '../../src/engine/services.js'
import { AppError, UpstreamAuthError, UpstreamHttpError } from '../../src/errors.js'
import { checkDefinition } from '../../src/sources/rest-source.js'
import { describeError } from '../../src/sources/error-rules.js'
import { SourceConfigSchema } from '../../src/sources/fields.js'
import { getSource } from '../../src/sources/registry.js'
import { KLAVIYO_REVISION } from '../../src/sources/klaviyo/settings.js'
import { KLAVIYO_DEFINITION, klaviyoSource } from '../../src/sources/klaviyo/source.js'
import type { SourceContext } from '../../src/sources/types.js'
import { startRestFake } from '../fakes/rest-fake.js'
import { startFakeKlaviyo, type FakeKlaviyo } from '../fakes/klaviyo.js'
import { startSourceHarness, type SourceHarness } from '../helpers/source-harness.js'

const CANARY = 'pk_CANARY_5e2b9d_do_not_log_0000000000'
const NO_ACCOUNT_SCOPE = 'pk_profiles_only_1111111111111111111111'

let fake: FakeKlaviyo
let services: EngineServices
let app: App
let harness: SourceHarness
const logLines: string[] = []

t.before(async () => {
  fake = await startFakeKlaviyo({
    keys: {
      [CANARY]: ['accounts:read', 'profiles:read', 'events:read', 'campaigns:read', 'lists:read'],
      [NO_ACCOUNT_SCOPE]: ['profiles:read']
    }
  })
  harness = await startSourceHarness(t, { name: 'Klaviyo', upstream: fake, logLines })
  ;({ app, services } = harness)
})

function context (overrides: Partial<SourceContext> = {}): SourceContext {
  return harness.context(overrides)
}

async function validate (config: Record<string, unknown>) {
  return await harness.validate(config)
}

t.test('the source is registered as Klaviyo, found case-insensitively, with a valid SourceConfig and icon', async (t) => {
  t.equal(klaviyoSource.name, 'Klaviyo')
  t.equal(getSource('klaviyo'), klaviyoSource)
  const config = klaviyoSource.getSourceConfig()
  t.ok(Compile(SourceConfigSchema).Check(config), 'matches the published SourceConfig schema')
  t.equal(config.label, 'Klaviyo')
  t.equal(config.category, 'Marketing & email')
  t.equal(config.iconPath, '/static/services/klaviyo.svg')
  const listed = await app.inject({ method: 'GET', url: '/v1/sources' })
  t.ok((listed.json() as { sources: Array<{ name: string }> }).sources.some((s) => s.name === 'Klaviyo'))
  const icon = await app.inject({ method: 'GET', url: config.iconPath ?? '' })
  t.equal(icon.statusCode, 200)
  t.match(icon.headers['content-type'], /image\/svg\+xml/)
  t.match(icon.body, /^<svg[\s\S]*<\/svg>\s*$/)
})

t.test('the definition is plain data: it round-trips through JSON and passes the definition check', async (t) => {
  const copy = JSON.parse(JSON.stringify(KLAVIYO_DEFINITION)) as unknown
  t.same(checkDefinition(copy), KLAVIYO_DEFINITION)
  t.throws(() => checkDefinition({ ...KLAVIYO_DEFINITION, defaults: { ...KLAVIYO_DEFINITION.defaults, flatten: { hoist: ['attributes'], relationshipsIds: ['x'] } } }), /\/defaults\/flatten/)
  t.throws(() => checkDefinition({ ...KLAVIYO_DEFINITION, client: { ...KLAVIYO_DEFINITION.client, budgets: { profiles: [] } } }), /\/client\/budgets\/profiles/)
})

t.test('form: one secret password field for the private key, placeholder pk_...', async (t) => {
  const fields = klaviyoSource.getSourceConfig().fields
  t.same(fields.map((f) => [f.type, f.name, f.label, 'required' in f ? f.required : undefined]), [['password', 'api_key', 'Private API key', true]])
  const key = fields[0] as { secret?: boolean, placeholder: string, caption: string }
  t.equal(key.secret, true)
  t.equal(key.placeholder, 'pk_...')
  t.match(key.caption, /private API key/)
})

t.test('schemas: every declared table with its keys, incremental fields and defaults', async (t) => {
  const staticList = await app.inject({ method: 'GET', url: '/v1/sources/Klaviyo/schemas' })
  t.equal(staticList.statusCode, 200)
  const schemas = (staticList.json() as { schemas: Array<Record<string, unknown>> }).schemas
  t.same(schemas.map((s) => s.name), ['profiles', 'events', 'campaigns', 'sms_campaigns', 'flows', 'lists', 'segments', 'metrics', 'templates', 'tags', 'list_profiles', 'segment_profiles'])
  const byName = new Map(schemas.map((s) => [s.name, s]))
  t.same(byName.get('profiles')?.incremental_fields, [{ label: 'Updated', type: 'datetime', field: 'updated', field_type: 'datetime' }])
  t.same(byName.get('events')?.incremental_fields, [{ label: 'Event time', type: 'datetime', field: 'datetime', field_type: 'datetime' }])
  t.same(byName.get('campaigns')?.incremental_fields, [{ label: 'Updated at', type: 'datetime', field: 'updated_at', field_type: 'datetime' }])
  t.same(byName.get('list_profiles')?.primary_keys, ['list_id', 'id'])
  t.same(byName.get('segment_profiles')?.primary_keys, ['segment_id', 'id'])
  for (const name of ['metrics', 'tags', 'list_profiles', 'segment_profiles']) t.equal(byName.get(name)?.supports_incremental, false, `${name}: full refresh only`)
  t.equal(byName.get('list_profiles')?.should_sync_default, false)
  const withConfig = await app.inject({ method: 'POST', url: '/v1/sources/Klaviyo/schemas', payload: { config: { api_key: CANARY } } })
  t.same((withConfig.json() as { schemas: unknown[] }).schemas, schemas)
})

t.test('credential check succeeds with GET /api/accounts, carrying the key, the revision and the JSON:API media type', async (t) => {
  const before = fake.requests.length
  const result = await validate({ api_key: CANARY })
  t.equal(result.status, 200)
  t.same(result.body, { valid: true })
  const seen = fake.requests.slice(before)
  t.same(seen.map((r) => [r.path, r.status]), [['/api/accounts', 200]])
  t.equal(seen[0]?.headers.authorization, `Klaviyo-API-Key ${CANARY}`)
  t.equal(seen[0]?.headers.revision, KLAVIYO_REVISION)
  t.equal(seen[0]?.headers.accept, 'application/vnd.api+json')
})

t.test('credential check failures: invalid key, missing accounts:read scope, a foreign API, a missing key', async (t) => {
  const bad = await validate({ api_key: 'pk_wrong_key_value_000000000000000000' })
  t.equal(bad.status, 200)
  t.match(bad.body, { valid: false, code: 'INVALID_CREDENTIALS', message: /rejected the API key/ })
  t.notMatch(bad.raw, /pk_wrong_key_value/, 'the key is not echoed')
  t.notMatch(bad.raw, /not_authenticated|Authentication credentials were not provided/, 'the vendor body is not echoed')

  const scope = await validate({ api_key: NO_ACCOUNT_SCOPE })
  t.match(scope.body, { valid: false, code: 'MISSING_PERMISSION', message: /accounts:read/ })
  t.notMatch(scope.raw, /missing required scopes/, 'the vendor body is not echoed')

  const foreign = await startRestFake({ 'GET /api/accounts': () => ({ json: { accounts: [] } }) })
  t.teardown(async () => { await foreign.close() })
  const odd = await klaviyoSource.validateCredentials({ api_key: CANARY }, context({ baseUrlOverride: foreign.url }))
  t.match(odd, { valid: false, code: 'UNEXPECTED_RESPONSE', message: /did not answer \/api\/accounts with a Klaviyo account list/ })

  const missing = await validate({})
  t.equal(missing.status, 400)
  t.same(missing.body.errors.map((e: { path: string }) => e.path), ['/config/api_key'])
})

t.test('pipeline handoff: table, sync type, watermark, resume state and page limit reach the engine', async (t) => {
  const before = fake.requests.length
  const response = await klaviyoSource.sourceForPipeline(
    { api_key: CANARY },
    { schema: 'profiles', syncType: 'incremental', incrementalField: 'updated', lastValue: '2024-02-01T10:00:00.250Z', maxPages: 1 },
    context()
  )
  t.equal(response.name, 'profiles')
  t.same(response.primaryKeys, ['id'])
  t.equal(response.partitionMode, 'datetime')
  t.same(response.partitionKeys, ['created'])
  t.equal(response.partitionFormat, 'month')
  t.equal(response.sortMode, 'asc')
  t.equal(response.tableFormat, 'delta')
  const pages = []
  for await (const page of response.pages) pages.push(page)
  t.equal(pages.length, 1, 'maxPages stops after one page')
  const first = fake.requests.slice(before)[0]
  t.equal(first?.path, '/api/profiles')
  t.same(first?.query, { sort: 'updated', 'page[size]': '100', filter: 'greater-than(updated,2024-02-01T10:00:00Z)' })

  // Resume from that page's state: the next request is the body's links.next, verbatim.
  const resumed = await klaviyoSource.sourceForPipeline(
    { api_key: CANARY },
    { schema: 'profiles', syncType: 'incremental', incrementalField: 'updated', lastValue: '2024-02-01T10:00:00Z', resumeState: pages[0]?.state ?? null, maxPages: 1 },
    context()
  )
  const mark = fake.requests.length
  for await (const page of resumed.pages) t.ok(page.rows.length > 0)
  t.equal(fake.requests[mark]?.path, '/api/profiles/', 'the next link, with its trailing slash')
  t.match(fake.requests[mark]?.query, { sort: 'updated', 'page[size]': '100', filter: 'greater-than(updated,2024-02-01T10:00:00Z)', 'page[cursor]': String })

  await t.rejects(klaviyoSource.sourceForPipeline({ api_key: CANARY }, { schema: 'tags', syncType: 'incremental' }, context()), { code: 'UNSUPPORTED_REQUEST' })
  await t.rejects(klaviyoSource.sourceForPipeline({ api_key: CANARY }, { schema: 'nope', syncType: 'full_refresh' }, context()), { code: 'SCHEMA_NOT_FOUND' })
})

t.test('error rules: 401 and 403 are permanent, in friendly words that name the scopes; other failures keep the engine\'s verdict', async (t) => {
  const url = 'https://a.klaviyo.com/api/profiles'
  const describe = (error: AppError) => describeError(klaviyoSource.errorRules, error)
  t.match(describe(new UpstreamAuthError('x', 401, url, { vendorMessage: 'Missing or invalid private key.' })), { retryable: false, message: /rejected the API key/ })
  const forbidden = describe(new UpstreamAuthError('x', 403, url, { vendorMessage: 'You do not have permission to perform this action.' }))
  t.match(forbidden, { retryable: false, message: /events → events:read/ })
  t.equal(describe(new UpstreamHttpError('x', 429, url, { retryable: true })), null, 'a throttled request stays retryable')
  t.equal(describe(new UpstreamHttpError('x', 503, url)), null)
})

t.test('the key never reaches a log line or a response', async (t) => {
  await validate({ api_key: CANARY })
  await app.inject({ method: 'POST', url: '/v1/sources/Klaviyo/sync', payload: { config: { api_key: CANARY }, schema: 'lists' } })
  await app.inject({ method: 'POST', url: '/v1/sources/Klaviyo/sync', payload: { config: { api_key: CANARY }, schema: 'tags' } })
  t.ok(logLines.length > 0, 'something was logged')
  t.notOk(logLines.some((line) => line.includes(CANARY)), 'no log line carries the key')
})
