/**
 * The Typeform source as the wizard sees it: name, form fields and labels, table lists (which follow the
 * response-type choice), credential validation (success and each failure), the data-center choice and
 * the pipeline handoff, against the Typeform fake on loopback.
 */
import t from 'tap'
import { Compile } from 'typebox/compile'
import { type App } from '../../src/app.js'
import { type EngineServices } from '../../src/engine/services.js'
import type { ClientOptions } from '../../src/engine/types.js'
import { UpstreamAuthError, UpstreamHttpError } from '../../src/errors.js'
import { describeError } from '../../src/sources/error-rules.js'
import { SourceConfigSchema } from '../../src/sources/fields.js'
import { getSource } from '../../src/sources/registry.js'
import { typeformSource } from '../../src/sources/typeform/source.js'
import type { SourceContext } from '../../src/sources/types.js'
import { READ_SCOPES, startFakeTypeform, type FakeTypeform } from '../fakes/typeform.js'
import { SCALED_WINDOW_MS, scaledTypeformSource } from './typeform-scaled.js'
import { startSourceHarness, type SourceHarness } from '../helpers/source-harness.js'

const CANARY = 'tfp_CANARY_3kQ9zLw7xPv2_do_not_log_0000000000'
const NO_FORMS = 'tfp_no_forms_000000000000000000000000000000'
const without = (scope: string): string[] => READ_SCOPES.filter((s) => s !== scope)
const TOKENS = {
  noResponses: 'tfp_no_responses_scope_0000000000000000000',
  noForms: 'tfp_no_forms_scope_00000000000000000000000',
  noAccount: 'tfp_no_accounts_scope_000000000000000000000'
}

/** The definition with its 2-per-second window scaled down (the fake enforces the same scaled limit). */
const source = scaledTypeformSource()
let fake: FakeTypeform
let services: EngineServices
let app: App
let harness: SourceHarness
const logLines: string[] = []

t.before(async () => {
  fake = await startFakeTypeform({
    windowMs: SCALED_WINDOW_MS,
    accounts: [
      { token: CANARY, forms: [{ completed: 3, partial: 1, started: 1 }, { completed: 1 }] },
      { token: NO_FORMS, forms: [] },
      { token: TOKENS.noResponses, scopes: without('responses:read') },
      { token: TOKENS.noForms, scopes: without('forms:read') },
      { token: TOKENS.noAccount, scopes: without('accounts:read') }
    ]
  })
  harness = await startSourceHarness(t, { name: 'Typeform', upstream: fake, logLines, sources: [source] })
  ;({ app, services } = harness)
})

/** A parsed config as the route hands it to the source: every select at its value or default. */
function full (overrides: { auth_token?: string, api_base_url?: 'https://api.typeform.com' | 'https://api.eu.typeform.com' | 'https://api.typeform.eu', response_types?: 'completed' | 'all' } = {}) {
  return { auth_token: CANARY, api_base_url: 'https://api.typeform.com', response_types: 'completed', ...overrides } as const
}

function context (overrides: Partial<SourceContext> = {}): SourceContext {
  return harness.context(overrides)
}

async function validate (config: Record<string, unknown>) {
  return await harness.validate(config)
}

async function schemas (config?: Record<string, unknown>): Promise<Array<Record<string, unknown>>> {
  const response = config === undefined
    ? await app.inject({ method: 'GET', url: '/v1/sources/Typeform/schemas' })
    : await app.inject({ method: 'POST', url: '/v1/sources/Typeform/schemas', payload: { config } })
  t.equal(response.statusCode, 200)
  return (response.json() as { schemas: Array<Record<string, unknown>> }).schemas
}

t.test('the source is registered as Typeform (category Productivity), found case-insensitively, with its icon', async (t) => {
  t.equal(typeformSource.name, 'Typeform')
  t.equal(getSource('typeform'), typeformSource)
  const config = typeformSource.getSourceConfig()
  t.ok(Compile(SourceConfigSchema).Check(config), 'matches the published SourceConfig schema')
  t.match(config, { name: 'Typeform', label: 'Typeform', category: 'Productivity', iconPath: '/static/services/typeform.svg' })
  const listed = await app.inject({ method: 'GET', url: '/v1/sources' })
  t.ok((listed.json() as { sources: Array<{ name: string }> }).sources.some((s) => s.name === 'Typeform'))
  const icon = await app.inject({ method: 'GET', url: config.iconPath ?? '' })
  t.equal(icon.statusCode, 200)
  t.match(icon.headers['content-type'], /image\/svg\+xml/)
  t.match(icon.body, /^<svg[\s\S]*<\/svg>\s*$/)
})

t.test('form: token (secret password, tfp_...), data center select (US default, two EU), response types select (completed default)', async (t) => {
  const fields = typeformSource.getSourceConfig().fields
  t.same(fields.map((f) => [f.type, f.name, f.label, 'required' in f ? f.required : undefined]), [
    ['password', 'auth_token', 'Personal access token', true],
    ['select', 'api_base_url', 'Data center', true],
    ['select', 'response_types', 'Responses to sync', true]
  ])
  t.match(fields[0], { secret: true, placeholder: 'tfp_...' })
  const region = fields[1] as { defaultValue: string, options: Array<{ value: string }> }
  t.equal(region.defaultValue, 'https://api.typeform.com')
  t.same(region.options.map((o) => o.value), ['https://api.typeform.com', 'https://api.eu.typeform.com', 'https://api.typeform.eu'])
  const types = fields[2] as { defaultValue: string, options: Array<{ value: string, label: string }> }
  t.equal(types.defaultValue, 'completed')
  t.same(types.options.map((o) => o.value), ['completed', 'all'])
  t.match(types.options[1]?.label, /partial and started/)
})

t.test('schemas: four tables with their keys; the responses incremental field follows the response types', async (t) => {
  const plain = await schemas()
  t.same(plain.map((s) => s.name), ['forms', 'responses', 'workspaces', 'themes'])
  const byName = new Map(plain.map((s) => [s.name, s]))
  t.same(byName.get('responses')?.primary_keys, ['form_id', 'token'])
  t.same(byName.get('forms')?.primary_keys, ['id'])
  t.same(byName.get('responses')?.incremental_fields, [{ label: 'Submitted at', type: 'datetime', field: 'submitted_at', field_type: 'datetime' }])
  for (const table of ['forms', 'workspaces', 'themes']) t.equal(byName.get(table)?.supports_incremental, false, `${table}: full refresh only`)
  t.equal(byName.get('themes')?.should_sync_default, false)
  t.same(await schemas({ auth_token: CANARY }), plain, 'a config with the default choices lists the same tables')
  const all = await schemas({ auth_token: CANARY, response_types: 'all' })
  const responses = all.find((s) => s.name === 'responses')
  t.same(responses?.incremental_fields, [{ label: 'Landed at', type: 'datetime', field: 'landed_at', field_type: 'datetime' }])
  t.match(responses?.description, /partial and started/)
  t.same(all.filter((s) => s.name !== 'responses'), plain.filter((s) => s.name !== 'responses'), 'other tables do not change')
})

t.test('credential check succeeds: /me, the first form, one response page of it', async (t) => {
  const before = fake.requests.length
  t.same(await validate({ auth_token: CANARY }), { status: 200, body: { valid: true }, raw: '{"valid":true}' })
  const seen = fake.requests.slice(before)
  t.same(seen.map((r) => [r.path, r.query]).slice(0, 2), [['/me', {}], ['/forms', { page_size: '1' }]])
  // The form the one-form page named (the API's default order): one response page of it.
  t.same(seen[2]?.query, { page_size: '1' })
  t.ok(fake.account(CANARY).forms.some((f) => seen[2]?.path === `/forms/${f.id}/responses`), 'a response page of a form of the account')
  t.equal(seen.length, 3)
  t.ok(seen.every((r) => r.authorization === `Bearer ${CANARY}`))
  t.equal(fake.rateLimited, 0, 'the check stays within 2 requests a second')

  const empty = fake.requests.length
  t.same((await validate({ auth_token: NO_FORMS })).body, { valid: true }, 'an account without forms is valid')
  t.same(fake.requests.slice(empty).map((r) => r.path), ['/me', '/forms'], 'no response page when there is no form')
})

t.test('credential check failures: bad token (with the data-center hint), each missing scope named, never echoed', async (t) => {
  const bad = await validate({ auth_token: 'tfp_wrong_token_value_0000000000000000000' })
  t.equal(bad.status, 200)
  t.match(bad.body, { valid: false, code: 'INVALID_CREDENTIALS', message: /rejected the personal access token.*data center/ })
  t.notMatch(bad.raw, /tfp_wrong_token_value/)
  t.notMatch(bad.raw, /AUTHENTICATION_FAILED|belongs to another region/, 'the vendor body is not echoed')

  const cases: Array<[string, RegExp]> = [
    [TOKENS.noAccount, /accounts:read/],
    [TOKENS.noForms, /forms:read/],
    [TOKENS.noResponses, /responses:read/]
  ]
  for (const [token, scope] of cases) {
    const result = await validate({ auth_token: token })
    t.match(result.body, { valid: false, code: 'MISSING_PERMISSION', message: scope }, `missing ${String(scope)}`)
    t.notMatch(result.raw, /User doesn't have permission/, 'the vendor body is not echoed')
  }
})

t.test('a 2xx answer of the wrong shape (not the Typeform API) is UNEXPECTED_RESPONSE naming the base URL', async (t) => {
  fake.failNext(200, fake.account(CANARY).me)
  fake.failNext(200, { results: [] })
  const result = await validate({ auth_token: CANARY })
  t.match(result.body, { valid: false, code: 'UNEXPECTED_RESPONSE', message: `The address at ${fake.url} did not answer like the Typeform API. Check the data center.` })
})

t.test('malformed configs are 400s naming the field', async (t) => {
  const missing = await validate({ response_types: 'all' })
  t.equal(missing.status, 400)
  t.same(missing.body.errors.map((e: { path: string }) => e.path), ['/config/auth_token'])
  const region = await validate({ auth_token: CANARY, api_base_url: 'https://evil.example' })
  t.equal(region.status, 400)
  t.equal(region.body.errors[0].path, '/config/api_base_url')
  const types = await validate({ auth_token: CANARY, response_types: 'partial' })
  t.equal(types.status, 400)
  t.equal(types.body.errors[0].path, '/config/response_types')
})

/** Engine services that record the client options a source asks for, and answer nothing (no traffic at all). */
function recordingServices (): { services: EngineServices, options: ClientOptions[] } {
  const options: ClientOptions[] = []
  return {
    options,
    services: {
      settings: services.settings,
      createClient (clientOptions) {
        options.push(clientOptions)
        return {
          request: async () => { throw new UpstreamHttpError('not sent', 503, clientOptions.baseUrl, { retryable: true }) },
          pages: async function * () {}
        }
      },
      observe: () => () => {},
      close: async () => {}
    }
  }
}

t.test('data center: the form choice is the base URL; an operator override replaces it; the token is a bearer credential', async (t) => {
  const recorder = recordingServices()
  const inputs = { schema: 'forms', syncType: 'full_refresh' } as const
  await typeformSource.sourceForPipeline(full(), inputs, context({ services: recorder.services, baseUrlOverride: undefined }))
  await typeformSource.sourceForPipeline(full({ api_base_url: 'https://api.eu.typeform.com' }), inputs, context({ services: recorder.services, baseUrlOverride: undefined }))
  await typeformSource.sourceForPipeline(full({ api_base_url: 'https://api.typeform.eu' }), inputs, context({ services: recorder.services, baseUrlOverride: undefined }))
  await typeformSource.sourceForPipeline(full({ api_base_url: 'https://api.eu.typeform.com' }), inputs, context({ services: recorder.services, baseUrlOverride: 'http://127.0.0.1:9/typeform' }))
  t.same(recorder.options.map((o) => o.baseUrl), ['https://api.typeform.com', 'https://api.eu.typeform.com', 'https://api.typeform.eu', 'http://127.0.0.1:9/typeform'])
  t.same(recorder.options[0]?.auth, { type: 'bearer', token: CANARY })
  t.same(recorder.options[0]?.budgets, { default: { reservoir: 2, intervalMs: 1000 } }, '2 requests per second per account')
})

t.test('pipeline handoff: table, sync type, watermark, resume state and page limit reach the engine', async (t) => {
  const form = fake.account(CANARY).forms[0]
  const before = fake.requests.length
  const response = await source.sourceForPipeline(
    full(),
    { schema: 'responses', syncType: 'incremental', incrementalField: 'submitted_at', lastValue: '2024-01-01T02:00:00Z', maxPages: 2 },
    context()
  )
  t.match(response, { name: 'responses', primaryKeys: ['form_id', 'token'], partitionMode: 'datetime', partitionKeys: ['submitted_at'], partitionFormat: 'month', sortMode: 'desc', tableFormat: 'delta' })
  const pages = []
  for await (const page of response.pages) pages.push(page)
  t.equal(pages.length, 2, 'maxPages stops after two pages')
  const seen = fake.requests.slice(before)
  t.same(seen[0], { ...seen[0], path: '/forms', query: { page: '1', page_size: '200', sort_by: 'created_at', order_by: 'asc' } })
  t.same(seen[1]?.path, `/forms/${String(form?.id)}/responses`)
  t.same(seen[1]?.query, { response_type: 'completed', page_size: '1000', since: String(Date.parse('2024-01-01T02:00:00Z') / 1000) }, 'since as epoch seconds')

  // Resume from the first page's state: the next form's walk.
  const resumed = await source.sourceForPipeline(
    full(),
    { schema: 'responses', syncType: 'full_refresh', resumeState: pages[0]?.state ?? null },
    context()
  )
  const mark = fake.requests.length
  const rows = []
  for await (const page of resumed.pages) rows.push(...page.rows)
  t.ok(rows.every((r) => r.form_id !== form?.id), 'the first form is not read again')
  t.ok(fake.requests.slice(mark).some((r) => r.path === `/forms/${String(fake.account(CANARY).forms[1]?.id)}/responses`))

  const all = await source.sourceForPipeline(full({ response_types: 'all' }), { schema: 'responses', syncType: 'incremental', incrementalField: 'landed_at' }, context())
  t.same(all.partitionKeys, ['landed_at'])
  for await (const page of all.pages) t.ok(page.rows.every((r) => typeof r.landed_at === 'string'))
  t.equal(fake.requests.at(-1)?.query.response_type, 'completed,partial,started')

  await t.rejects(typeformSource.sourceForPipeline(full({ response_types: 'all' }), { schema: 'responses', syncType: 'incremental', incrementalField: 'submitted_at' }, context()),
    { code: 'UNSUPPORTED_REQUEST', errors: [{ path: '/incremental_field' }] }, 'submitted_at is not the field when unfinished responses are included')
  await t.rejects(typeformSource.sourceForPipeline(full(), { schema: 'forms', syncType: 'incremental' }, context()), { code: 'UNSUPPORTED_REQUEST' })
  await t.rejects(typeformSource.sourceForPipeline(full(), { schema: 'nope', syncType: 'full_refresh' }, context()), { code: 'SCHEMA_NOT_FOUND' })
})

t.test('error rules: a rejected token and a missing scope are permanent, in friendly words; 429s and 5xx stay retryable', async (t) => {
  const rules = typeformSource.errorRules
  const url = 'https://api.typeform.com/forms/abc/responses'
  t.match(describeError(rules, new UpstreamAuthError('Upstream returned 401', 401, url, { vendorMessage: 'Authentication failed' })), { retryable: false, message: /rejected the personal access token/ })
  t.match(describeError(rules, new UpstreamAuthError('Upstream returned 403', 403, url, { vendorMessage: "User doesn't have permission to access the resource." })),
    { retryable: false, message: /forms:read, responses:read, workspaces:read and themes:read/ })
  t.equal(describeError(rules, new UpstreamHttpError('Upstream returned 429 after 5 attempts', 429, url, { retryable: true })), null)
  t.equal(describeError(rules, new UpstreamHttpError('Upstream returned 503 after 5 attempts', 503, url, { retryable: true })), null)
})

t.test('the token never reaches a log line or a response', async (t) => {
  await validate({ auth_token: CANARY })
  await app.inject({ method: 'POST', url: '/v1/sources/Typeform/schemas', payload: { config: { auth_token: CANARY } } })
  const sync = await app.inject({ method: 'POST', url: '/v1/sources/Typeform/sync', payload: { config: { auth_token: CANARY }, schema: 'workspaces' } })
  t.notMatch(sync.body, new RegExp(CANARY))
  t.ok(logLines.length > 0, 'something was logged')
  t.notOk(logLines.some((line) => line.includes(CANARY)), 'no log line carries the token')
})
