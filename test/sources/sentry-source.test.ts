/**
 * The Sentry source as the wizard sees it: name, form fields and labels, table list, the organisation
 * slug taken from a pasted URL, credential validation (success and each failure), error rules and the
 * pipeline handoff, against the Sentry fake on loopback.
 */
import t from 'tap'
import { Compile } from 'typebox/compile'
import { buildApp, type App } from '../../src/app.js'
import { type EngineServices } from '../../src/engine/services.js'
import { UpstreamAuthError, UpstreamHttpError, ValidationError, type AppError } from '../../src/errors.js'
import { describeError } from '../../src/sources/error-rules.js'
import { SourceConfigSchema } from '../../src/sources/fields.js'
import { getSource } from '../../src/sources/registry.js'
import type { SourceDefinition } from '../../src/sources/definition.js'
import { defineRestSource } from '../../src/sources/rest-source.js'
import { normaliseApiBaseUrl, parseOrganizationSlug, sentryHooks } from '../../src/sources/sentry/sentry.js'
import { SENTRY_DEFINITION, sentrySource } from '../../src/sources/sentry/source.js'
import type { SourceContext } from '../../src/sources/types.js'
import { ALL_SCOPES, startFakeSentry, type FakeSentry } from '../fakes/sentry.js'
import { startSourceHarness, type SourceHarness } from '../helpers/source-harness.js'

const CANARY = 'sntryu_CANARY_5e3b1d_do_not_log_0123456789abcdef'
const OUTSIDER = 'sntryu_outsider_token_of_another_org_000000000'
const NO_ORG_READ = 'sntryu_events_only_token_0000000000000000000'

let fake: FakeSentry
let services: EngineServices
let app: App
let harness: SourceHarness
const logLines: string[] = []

t.before(async () => {
  fake = await startFakeSentry({
    orgs: [{}, { slug: 'globex', issues: 3 }],
    tokens: {
      [CANARY]: { scopes: ALL_SCOPES },
      [OUTSIDER]: { scopes: ALL_SCOPES, orgs: ['globex'] },
      [NO_ORG_READ]: { scopes: ['event:read'] }
    }
  })
  harness = await startSourceHarness(t, { name: 'Sentry', upstream: fake, logLines })
  ;({ app, services } = harness)
})

function context (overrides: Partial<SourceContext> = {}): SourceContext {
  return harness.context(overrides)
}

async function validate (config: Record<string, unknown>) {
  return await harness.validate(config)
}

t.test('the source is registered as Sentry, found case-insensitively, with a valid SourceConfig and icon', async (t) => {
  t.equal(sentrySource.name, 'Sentry')
  t.equal(getSource('sentry'), sentrySource)
  const config = sentrySource.getSourceConfig()
  t.ok(Compile(SourceConfigSchema).Check(config), 'matches the published SourceConfig schema')
  t.equal(config.label, 'Sentry')
  t.equal(config.category, 'Engineering & monitoring')
  t.equal(config.iconPath, '/static/services/sentry.svg')
  const listed = await app.inject({ method: 'GET', url: '/v1/sources' })
  t.ok((listed.json() as { sources: Array<{ name: string }> }).sources.some((s) => s.name === 'Sentry'))
  const icon = await app.inject({ method: 'GET', url: config.iconPath ?? '' })
  t.equal(icon.statusCode, 200)
  t.match(icon.headers['content-type'], /image\/svg\+xml/)
  t.match(icon.body, /^<svg[\s\S]*<\/svg>\s*$/)
})

t.test('form fields: auth token (secret password), organization (required), optional API base URL', async (t) => {
  const fields = sentrySource.getSourceConfig().fields
  t.same(fields.map((f) => [f.type, f.name, f.label, 'required' in f ? f.required : undefined]), [
    ['password', 'auth_token', 'Auth token', true],
    ['text', 'organization_slug', 'Organization', true],
    ['url', 'api_base_url', 'API base URL', false]
  ])
  const [token, org, base] = fields as Array<{ secret?: boolean, placeholder: string, caption?: string }>
  t.equal(token?.secret, true)
  t.equal(token?.placeholder, 'sntryu_...')
  t.match(org?.caption, /https:\/\/acme\.sentry\.io\//)
  t.equal(base?.placeholder, 'https://sentry.io')
  t.match(base?.caption, /us\.sentry\.io.*de\.sentry\.io/)
})

t.test('schemas: every declared table with its keys, incremental fields and defaults, with or without a config', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/v1/sources/Sentry/schemas' })
  t.equal(response.statusCode, 200)
  const schemas = (response.json() as { schemas: Array<Record<string, unknown>> }).schemas
  t.same(schemas.map((s) => s.name), [
    'projects', 'teams', 'members', 'releases', 'environments', 'monitors', 'issues', 'project_events', 'project_client_keys', 'issue_events'
  ])
  const byName = new Map(schemas.map((s) => [s.name, s]))
  t.same(byName.get('issues')?.incremental_fields, [{ label: 'Last seen', type: 'datetime', field: 'lastSeen', field_type: 'datetime' }])
  t.same(byName.get('issue_events')?.primary_keys, ['issue_id', 'id'])
  t.same(byName.get('project_events')?.primary_keys, ['project_id', 'id'])
  t.equal(byName.get('issue_events')?.should_sync_default, false)
  for (const name of ['projects', 'members', 'project_events', 'issue_events']) t.equal(byName.get(name)?.supports_incremental, false, `${name}: full refresh only`)
  const withConfig = await app.inject({ method: 'POST', url: '/v1/sources/Sentry/schemas', payload: { config: { auth_token: CANARY, organization_slug: 'https://acme.sentry.io/' } } })
  t.equal(withConfig.statusCode, 200)
  t.same((withConfig.json() as { schemas: unknown[] }).schemas, schemas)
})

t.test('organization slug: the slug or a pasted organisation URL is reduced to the slug; anything else is a 400 on the field', async (t) => {
  const cases: Array<[string, string]> = [
    ['acme', 'acme'],
    ['  Acme ', 'acme'],
    ['https://acme.sentry.io/', 'acme'],
    ['https://acme.sentry.io/issues/?project=4501', 'acme'],
    ['https://sentry.io/organizations/acme/', 'acme'],
    ['https://sentry.io/organizations/acme/issues/123/', 'acme'],
    ['https://de.sentry.io/organizations/acme-eu/projects/', 'acme-eu'],
    ['https://sentry.example.com/organizations/my_org/', 'my_org']
  ]
  for (const [input, slug] of cases) t.equal(parseOrganizationSlug(input), slug, JSON.stringify(input))
  for (const bad of ['', 'https://sentry.io/', 'https://us.sentry.io/', 'https://sentry.example.com/', 'acme corp', '12345', 'not a url://x', 'a/b']) {
    const error = t.throws(() => parseOrganizationSlug(bad)) as unknown
    t.ok(error instanceof ValidationError, `${JSON.stringify(bad)} is refused`)
    t.equal((error as ValidationError).errors[0]?.path, '/config/organization_slug')
  }
  t.equal(normaliseApiBaseUrl('https://sentry.example.com/api/0/'), 'https://sentry.example.com')
  t.equal(normaliseApiBaseUrl('https://us.sentry.io/'), 'https://us.sentry.io')
})

t.test('credential check succeeds, with the slug from a pasted URL, in one request', async (t) => {
  const before = fake.requests.length
  const result = await validate({ auth_token: CANARY, organization_slug: 'https://sentry.io/organizations/acme/issues/' })
  t.equal(result.status, 200)
  t.same(result.body, { valid: true })
  const seen = fake.requests.slice(before)
  t.same(seen.map((r) => [r.path, r.query.per_page]), [['/api/0/organizations/acme/projects/', '1']])
  t.equal(seen[0]?.headers.authorization, `Bearer ${CANARY}`)
})

t.test('credential check failures: invalid token, missing scope, unknown organisation, organisation of someone else', async (t) => {
  const invalid = await validate({ auth_token: 'sntryu_wrong_token_value_00000000', organization_slug: 'acme' })
  t.equal(invalid.status, 200)
  t.match(invalid.body, { valid: false, code: 'INVALID_CREDENTIALS', message: /rejected the auth token/ })
  t.notMatch(invalid.raw, /sntryu_wrong_token_value_00000000/, 'the token is not echoed')
  t.notMatch(invalid.raw, /Invalid token/, 'the vendor body is not echoed')

  const scope = await validate({ auth_token: NO_ORG_READ, organization_slug: 'acme' })
  t.match(scope.body, { valid: false, code: 'MISSING_PERMISSION', message: /org:read/ })
  t.notMatch(scope.raw, /You do not have permission/)

  const unknown = await validate({ auth_token: CANARY, organization_slug: 'initech' })
  t.match(unknown.body, { valid: false, code: 'ORGANIZATION_NOT_FOUND' })
  t.match(unknown.body.message, /organization slug.*API base URL/)
  t.match(unknown.body.message, new RegExp(fake.url.replace(/[.:/]/g, '\\$&')), 'names the base URL it asked')

  const foreign = await validate({ auth_token: OUTSIDER, organization_slug: 'acme' })
  t.match(foreign.body, { valid: false, code: 'MISSING_PERMISSION', message: /belong to the organization/ })
  t.same((await validate({ auth_token: OUTSIDER, organization_slug: 'globex' })).body, { valid: true })
})

t.test('malformed configs are 400s naming the field', async (t) => {
  const missing = await validate({ organization_slug: 'acme' })
  t.equal(missing.status, 400)
  t.same(missing.body.errors.map((e: { path: string }) => e.path), ['/config/auth_token'])
  const badSlug = await validate({ auth_token: CANARY, organization_slug: 'https://sentry.io/' })
  t.equal(badSlug.status, 400)
  t.equal(badSlug.body.errors[0].path, '/config/organization_slug')
  const badUrl = await validate({ auth_token: CANARY, organization_slug: 'acme', api_base_url: 'not a url' })
  t.equal(badUrl.status, 400)
  t.equal(badUrl.body.errors[0].path, '/config/api_base_url')
})

t.test('a base URL typed into the form wins over the operator override, with or without /api/0/', async (t) => {
  const dead = await startFakeSentry()
  const deadUrl = dead.url
  await dead.close()
  for (const typed of [`${fake.url}/`, `${fake.url}/api/0/`]) {
    const result = await sentrySource.validateCredentials({ auth_token: CANARY, organization_slug: 'acme', api_base_url: typed }, context({ baseUrlOverride: deadUrl }))
    t.same(result, { valid: true }, typed)
  }
})

t.test('pipeline handoff: table, sync type, window, resume state and page limit reach the engine', async (t) => {
  const lastValue = new Date(fake.org().anchor - 60 * 86_400_000).toISOString()
  const before = fake.requests.length
  const startedAt = Date.now()
  const response = await sentrySource.sourceForPipeline(
    { auth_token: CANARY, organization_slug: 'acme' },
    { schema: 'issues', syncType: 'incremental', incrementalField: 'lastSeen', lastValue, maxPages: 1 },
    context()
  )
  t.equal(response.name, 'issues')
  t.same(response.primaryKeys, ['id'])
  t.equal(response.partitionMode, 'datetime')
  t.same(response.partitionKeys, ['firstSeen'])
  t.equal(response.sortMode, 'desc')
  t.equal(response.tableFormat, 'delta')
  const pages = []
  for await (const page of response.pages) pages.push(page)
  t.equal(pages.length, 1, 'maxPages stops after one page')
  const first = fake.requests.slice(before)[0]
  t.equal(first?.path, '/api/0/organizations/acme/issues/')
  t.same({ ...first?.query, end: undefined }, { query: '', sort: 'date', limit: '100', start: lastValue.replace(/\.\d{3}Z$/, 'Z'), end: undefined })
  const end = Date.parse(String(first?.query.end))
  t.ok(end >= Math.floor(startedAt / 1000) * 1000 && end <= Date.now(), 'the window ends at the run\'s start')

  const mark = fake.requests.length
  const resumed = await sentrySource.sourceForPipeline(
    { auth_token: CANARY, organization_slug: 'acme' },
    { schema: 'issues', syncType: 'incremental', incrementalField: 'lastSeen', lastValue, resumeState: pages[0]?.state ?? null, maxPages: 1 },
    context()
  )
  for await (const page of resumed.pages) t.ok(page.rows.length >= 0)
  t.equal(fake.requests[mark]?.query.cursor, '0:100:0', 'resumed at the next cursor')
  t.equal(fake.requests[mark]?.query.start, first?.query.start, 'with the window of the first run, from the Link URL')
  t.equal(fake.requests[mark]?.query.end, first?.query.end)

  await t.rejects(sentrySource.sourceForPipeline({ auth_token: CANARY, organization_slug: 'acme' }, { schema: 'members', syncType: 'incremental' }, context()), { code: 'UNSUPPORTED_REQUEST' })
  await t.rejects(sentrySource.sourceForPipeline({ auth_token: CANARY, organization_slug: 'acme' }, { schema: 'nope', syncType: 'full_refresh' }, context()), { code: 'SCHEMA_NOT_FOUND' })
})

t.test('error rules: 401, 403 and 404 are permanent and explained; a 429 that outlasted its retries stays retryable', async (t) => {
  const url = 'https://sentry.io/api/0/organizations/acme/issues/'
  const describe = (error: AppError) => describeError(sentrySource.errorRules, error)
  t.match(describe(new UpstreamAuthError('x', 401, url, { vendorMessage: 'Invalid token' })), { retryable: false, message: /rejected the auth token/ })
  t.match(describe(new UpstreamAuthError('x', 403, url, { vendorMessage: 'You do not have permission to perform this action.' })), { retryable: false, message: /event:read/ })
  t.match(describe(new UpstreamHttpError('x', 404, url, { vendorMessage: 'The requested resource does not exist' })), { retryable: false, message: /organization slug/ })
  t.equal(describe(new UpstreamHttpError('x', 429, url, { retryable: true, vendorMessage: 'You are attempting to use this endpoint too frequently.' })), null)
})

t.test('the definition is plain data: loaded from its JSON form it syncs a table exactly like the compiled source', async (t) => {
  const json = JSON.parse(JSON.stringify(SENTRY_DEFINITION)) as SourceDefinition
  t.same(json, SENTRY_DEFINITION, 'nothing is lost in a JSON round trip')
  const fromJson = defineRestSource(json, sentryHooks)
  const payload = { config: { auth_token: CANARY, organization_slug: 'https://acme.sentry.io/' }, schema: 'project_client_keys' }
  const bodies: string[] = []
  for (const sources of [[fromJson], [sentrySource]]) {
    const own = await buildApp({ settings: { LOG_LEVEL: 'silent', UPSTREAM_BASE_URLS: { Sentry: fake.url }, ALLOW_PRIVATE_UPSTREAMS: true }, services, sources })
    const response = await own.inject({ method: 'POST', url: '/v1/sources/sentry/sync', payload })
    t.equal(response.statusCode, 200)
    bodies.push(response.body.split('\n').filter((l) => !l.includes('"type":"state"')).join('\n'))
    await own.close()
  }
  t.ok((bodies[0]?.match(/"type":"record"/g) ?? []).length > 0, 'records')
  t.equal(bodies[0], bodies[1], 'the same lines, byte for byte')
})

t.test('the token never reaches a log line or a response', async (t) => {
  await validate({ auth_token: CANARY, organization_slug: 'acme' })
  await validate({ auth_token: CANARY, organization_slug: 'initech' })
  await app.inject({ method: 'POST', url: '/v1/sources/Sentry/schemas', payload: { config: { auth_token: CANARY, organization_slug: 'acme' } } })
  const synced = await app.inject({ method: 'POST', url: '/v1/sources/Sentry/sync', payload: { config: { auth_token: CANARY, organization_slug: 'acme' }, schema: 'issues' } })
  t.equal(synced.statusCode, 200)
  t.notOk(synced.body.includes(CANARY), 'no sync line carries the token (resume states included)')
  t.ok(logLines.length > 0, 'something was logged')
  t.notOk(logLines.some((line) => line.includes(CANARY)), 'no log line carries the token')
})
