/**
 * The Github source as the wizard sees it: name, form fields and labels, table list, credential
 * validation (success and each failure) and the pipeline handoff, against the GitHub fake on loopback.
 */
import t from 'tap'
import { Compile } from 'typebox/compile'
import { type App } from '../../src/app.js'
import { type EngineServices } from '../../src/engine/services.js'
import { ValidationError } from '../../src/errors.js'
import { SourceConfigSchema } from '../../src/sources/fields.js'
import { getSource } from '../../src/sources/registry.js'
import { parseRepositories } from '../../src/sources/github/github.js'
import { AppError, UpstreamAuthError, UpstreamHttpError } from '../../src/errors.js'
import { describeError } from '../../src/sources/error-rules.js'
import { githubSource } from '../../src/sources/github/source.js'
import type { SourceContext } from '../../src/sources/types.js'
import { startFakeGithub, type FakeGithub } from '../fakes/github.js'
import { startSourceHarness, type SourceHarness } from '../helpers/source-harness.js'

const CANARY = 'github_pat_CANARY_7f1c9a_do_not_log'
const REPOS = 'octo-org/alpha, octo-org/beta'

let fake: FakeGithub
let services: EngineServices
let app: App
let harness: SourceHarness
const logLines: string[] = []

t.before(async () => {
  fake = await startFakeGithub({
    tokens: {
      [CANARY]: { login: 'octocat', id: 583231, privateRepos: ['octo-org/secret'] },
      'github_pat_public_only_0000000000': { login: 'outsider', id: 77 }
    }
  })
  harness = await startSourceHarness(t, { name: 'Github', upstream: fake, logLines })
  ;({ app, services } = harness)
})

function context (overrides: Partial<SourceContext> = {}): SourceContext {
  return harness.context(overrides)
}

async function validate (config: Record<string, unknown>) {
  return await harness.validate(config)
}

t.test('the source is registered as Github, found case-insensitively, with a valid SourceConfig', async (t) => {
  t.equal(githubSource.name, 'Github')
  t.equal(getSource('github'), githubSource)
  const config = githubSource.getSourceConfig()
  t.ok(Compile(SourceConfigSchema).Check(config), 'matches the published SourceConfig schema')
  t.equal(config.name, 'Github')
  t.equal(config.label, 'GitHub')
  t.equal(config.category, 'Engineering & monitoring')
  t.equal(config.iconPath, '/static/services/github.svg')
  const listed = await app.inject({ method: 'GET', url: '/v1/sources' })
  t.ok((listed.json() as { sources: Array<{ name: string }> }).sources.some((s) => s.name === 'Github'))
  const icon = await app.inject({ method: 'GET', url: config.iconPath ?? '' })
  t.equal(icon.statusCode, 200)
  t.match(icon.headers['content-type'], /image\/svg\+xml/)
  t.match(icon.body, /^<svg[\s\S]*<\/svg>\s*$/)
})

t.test('form fields: token (secret password), repositories (required textarea), optional API base URL', async (t) => {
  const fields = githubSource.getSourceConfig().fields
  t.same(fields.map((f) => [f.type, f.name, f.label, 'required' in f ? f.required : undefined]), [
    ['password', 'personal_access_token', 'Personal access token', true],
    ['textarea', 'repositories', 'Repositories', true],
    ['url', 'api_base_url', 'API base URL', false]
  ])
  const token = fields[0] as { secret?: boolean, placeholder: string }
  t.equal(token.secret, true)
  t.equal(token.placeholder, 'github_pat_...')
  t.equal((fields[2] as { placeholder: string }).placeholder, 'https://api.github.com')
  const detail = await app.inject({ method: 'GET', url: '/v1/sources/github' })
  t.equal(detail.statusCode, 200)
})

t.test('schemas: every declared table, with its keys and incremental fields, with or without a config', async (t) => {
  const staticList = await app.inject({ method: 'GET', url: '/v1/sources/Github/schemas' })
  t.equal(staticList.statusCode, 200)
  const schemas = (staticList.json() as { schemas: Array<Record<string, unknown>> }).schemas
  t.same(schemas.map((s) => s.name), [
    'repositories', 'issues', 'pull_requests', 'commits', 'releases', 'branches', 'tags', 'contributors',
    'stargazers', 'issue_comments', 'workflow_runs', 'pull_request_reviews'
  ])
  const byName = new Map(schemas.map((s) => [s.name, s]))
  t.same(byName.get('branches')?.primary_keys, ['repository', 'name'])
  t.same(byName.get('commits')?.primary_keys, ['repository', 'sha'])
  t.same(byName.get('stargazers')?.primary_keys, ['repository', 'user_id'])
  t.same(byName.get('issues')?.incremental_fields, [{ label: 'Updated at', type: 'datetime', field: 'updated_at', field_type: 'datetime' }])
  t.equal(byName.get('pull_requests')?.supports_incremental, true)
  t.equal(byName.get('workflow_runs')?.supports_incremental, false)
  t.equal(byName.get('pull_request_reviews')?.should_sync_default, false)
  const withConfig = await app.inject({ method: 'POST', url: '/v1/sources/Github/schemas', payload: { config: { personal_access_token: CANARY, repositories: REPOS } } })
  t.equal(withConfig.statusCode, 200)
  t.same((withConfig.json() as { schemas: unknown[] }).schemas, schemas)
})

t.test('repositories: list or comma/newline string, URLs tolerated, duplicates dropped, bad items named', async (t) => {
  t.same(parseRepositories('octo-org/alpha,octo-org/beta\nocto-org/gamma').map((r) => r.full_name), ['octo-org/alpha', 'octo-org/beta', 'octo-org/gamma'])
  t.same(parseRepositories(['octo-org/alpha', ' https://github.com/octo-org/beta.git ', 'Octo-Org/Alpha']).map((r) => r.full_name), ['octo-org/alpha', 'octo-org/beta'])
  t.same(parseRepositories('a/b')[0], { owner: 'a', name: 'b', full_name: 'a/b' })
  for (const bad of ['just-a-name', 'a/b/c', 'a/..', '-bad/name', ' , ']) {
    const error = t.throws(() => parseRepositories(bad)) as unknown
    t.ok(error instanceof ValidationError, `${JSON.stringify(bad)} is refused`)
    t.equal((error as ValidationError).errors[0]?.path, '/config/repositories')
  }
})

t.test('credential check succeeds for a token that can read every repository (list form accepted)', async (t) => {
  const before = fake.requests.length
  const result = await validate({ personal_access_token: CANARY, repositories: ['octo-org/alpha', 'octo-org/secret'] })
  t.equal(result.status, 200)
  t.same(result.body, { valid: true })
  const seen = fake.requests.slice(before)
  t.same(seen.map((r) => r.path), ['/user', '/repos/octo-org/alpha', '/repos/octo-org/secret'])
  for (const request of seen) {
    t.equal(request.headers.authorization, `Bearer ${CANARY}`)
    t.equal(request.headers.accept, 'application/vnd.github+json')
    t.equal(request.headers['x-github-api-version'], '2022-11-28')
  }
})

t.test('credential check failures: bad token, unknown repository, private repository the token cannot see', async (t) => {
  const badToken = await validate({ personal_access_token: 'github_pat_wrong_token_value_000', repositories: REPOS })
  t.equal(badToken.status, 200)
  t.equal(badToken.body.valid, false)
  t.equal(badToken.body.code, 'INVALID_CREDENTIALS')
  t.match(badToken.body.message, /bad credentials/i)
  t.notMatch(badToken.raw, /github_pat_wrong_token_value_000/)

  const unknown = await validate({ personal_access_token: CANARY, repositories: 'octo-org/alpha\nocto-org/missing' })
  t.equal(unknown.body.code, 'REPOSITORY_NOT_FOUND')
  t.match(unknown.body.message, /"octo-org\/missing"/)
  t.notMatch(unknown.body.message, /documentation_url|Not Found/, 'the vendor body is not echoed')

  const hidden = await validate({ personal_access_token: 'github_pat_public_only_0000000000', repositories: 'octo-org/beta,octo-org/secret' })
  t.equal(hidden.body.code, 'REPOSITORY_NOT_FOUND')
  t.match(hidden.body.message, /"octo-org\/secret".*cannot see it/)
  t.match(hidden.body.message, /"repo" scope/, 'the message says which scope/permission is needed')
})

t.test('credential check: a 403 on /user names the permission problem; malformed configs are 400s naming the field', async (t) => {
  fake.failNext(403, { message: 'Resource protected by organization SAML enforcement.', documentation_url: 'https://docs.github.com/rest' })
  const forbidden = await validate({ personal_access_token: CANARY, repositories: REPOS })
  t.equal(forbidden.body.code, 'MISSING_PERMISSION')
  t.notMatch(forbidden.raw, /SAML enforcement/, 'the vendor body is not echoed')

  const badRepos = await validate({ personal_access_token: CANARY, repositories: 'not a repository' })
  t.equal(badRepos.status, 400)
  t.equal(badRepos.body.errors[0].path, '/config/repositories')
  const missing = await validate({ repositories: REPOS })
  t.equal(missing.status, 400)
  t.same(missing.body.errors.map((e: { path: string }) => e.path), ['/config/personal_access_token'])
  const badUrl = await validate({ personal_access_token: CANARY, repositories: REPOS, api_base_url: 'not a url' })
  t.equal(badUrl.status, 400)
  t.equal(badUrl.body.errors[0].path, '/config/api_base_url')
})

t.test('a base URL typed into the form wins over the operator override (GitHub Enterprise Server)', async (t) => {
  const dead = await startFakeGithub()
  const deadUrl = dead.url
  await dead.close()
  const result = await githubSource.validateCredentials(
    { personal_access_token: CANARY, repositories: 'octo-org/alpha', api_base_url: `${fake.url}/` },
    context({ baseUrlOverride: deadUrl })
  )
  t.same(result, { valid: true })
})

t.test('pipeline handoff: table, sync type, watermark, resume state and page limit reach the engine', async (t) => {
  const before = fake.requests.length
  const response = await githubSource.sourceForPipeline(
    { personal_access_token: CANARY, repositories: 'octo-org/alpha' },
    { schema: 'issues', syncType: 'incremental', incrementalField: 'updated_at', lastValue: '2024-01-20T10:00:00.000Z', maxPages: 1 },
    context()
  )
  t.equal(response.name, 'issues')
  t.same(response.primaryKeys, ['id'])
  t.equal(response.partitionMode, 'datetime')
  t.same(response.partitionKeys, ['created_at'])
  t.equal(response.partitionFormat, 'month')
  t.equal(response.sortMode, 'asc')
  t.equal(response.tableFormat, 'delta')
  const pages = []
  for await (const page of response.pages) pages.push(page)
  t.equal(pages.length, 1, 'maxPages stops after one page')
  const first = fake.requests.slice(before)[0]
  t.equal(first?.path, '/repos/octo-org/alpha/issues')
  t.same(first?.query, { state: 'all', sort: 'updated', direction: 'asc', per_page: '100', since: '2024-01-20T10:00:00Z' })

  // Resume from the state of that page: the next request is the Link header's next URL, verbatim.
  const resumed = await githubSource.sourceForPipeline(
    { personal_access_token: CANARY, repositories: 'octo-org/alpha' },
    { schema: 'issues', syncType: 'incremental', incrementalField: 'updated_at', lastValue: '2024-01-20T10:00:00Z', resumeState: pages[0]?.state ?? null, maxPages: 1 },
    context()
  )
  const mark = fake.requests.length
  for await (const page of resumed.pages) t.ok(page.rows.length > 0)
  t.equal(fake.requests[mark]?.path, '/repositories/100000/issues')
  t.equal(fake.requests[mark]?.query.page, '2')

  const desc = await githubSource.sourceForPipeline({ personal_access_token: CANARY, repositories: 'octo-org/alpha' }, { schema: 'pull_requests', syncType: 'full_refresh' }, context())
  t.equal(desc.sortMode, 'desc')
  t.rejects(githubSource.sourceForPipeline({ personal_access_token: CANARY, repositories: 'octo-org/alpha' }, { schema: 'workflow_runs', syncType: 'incremental' }, context()),
    { code: 'UNSUPPORTED_REQUEST' })
  t.rejects(githubSource.sourceForPipeline({ personal_access_token: CANARY, repositories: 'octo-org/alpha' }, { schema: 'nope', syncType: 'full_refresh' }, context()),
    { code: 'SCHEMA_NOT_FOUND' })
})

t.test('error rules map GitHub failures to friendly words', async (t) => {
  const url = 'https://api.github.com/repos/a/b/issues'
  const match = (error: AppError): string | undefined => describeError(githubSource.errorRules, error)?.message
  t.match(match(new UpstreamAuthError('x', 401, url, { vendorMessage: 'Bad credentials' })), /bad credentials/i)
  t.match(match(new UpstreamAuthError('x', 403, url, { vendorMessage: 'Resource not accessible by personal access token' })), /permission/)
  t.match(match(new UpstreamHttpError('x', 404, url, { vendorMessage: 'Not Found' })), /not found or the token cannot see it/)
  t.equal(match(new UpstreamHttpError('x', 403, url, { retryable: true, vendorMessage: 'API rate limit exceeded for user ID 1.' })), undefined,
    'an exhausted rate limit stays retryable')
})

t.test('the token never reaches a log line or a response', async (t) => {
  await validate({ personal_access_token: CANARY, repositories: REPOS })
  await validate({ personal_access_token: CANARY, repositories: 'octo-org/missing' })
  await app.inject({ method: 'POST', url: '/v1/sources/Github/schemas', payload: { config: { personal_access_token: CANARY, repositories: REPOS } } })
  t.ok(logLines.length > 0, 'something was logged')
  t.notOk(logLines.some((line) => line.includes(CANARY)), 'no log line carries the token')
})


t.test('a config may list at most 100 repositories: more is a 400 naming the field and the cap, before any request', async (t) => {
  const mark = fake.requests.length
  const many = Array.from({ length: 3000 }, (_, i) => `octo-org/repo-${i}`).join('\n')
  for (const route of ['validate', 'schemas']) {
    const response = await app.inject({ method: 'POST', url: `/v1/sources/Github/${route}`, payload: { config: { personal_access_token: fake.token, repositories: many } } })
    t.equal(response.statusCode, 400, route)
    t.match(response.json(), { code: 'VALIDATION_FAILED', errors: [{ path: '/config/repositories', message: /3000 items; at most 100/ }] }, route)
  }
  t.equal(fake.requests.length, mark, 'nothing was sent upstream')
})
