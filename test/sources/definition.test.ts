/**
 * The source definition format: definitions are data (a JSON round trip loses nothing and the result
 * syncs), every problem is a load error naming its JSON pointer, and the generic pieces behave as
 * declared (endpoint defaults, config references, static parents, error rules).
 */
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { createEngineServices } from '../../src/engine/services.js'
import { DefinitionError, type SourceDefinition } from '../../src/sources/definition.js'
import { DEMO_DEFINITION } from '../../src/sources/demo/source.js'
import { githubHooks } from '../../src/sources/github/github.js'
import { GITHUB_DEFINITION, githubSource } from '../../src/sources/github/source.js'
import { checkDefinition, defineRestSource, parentRows } from '../../src/sources/rest-source.js'
import { parseConfig } from '../../src/sources/config.js'
import { startFakeGithub } from '../fakes/github.js'
import pino from 'pino'

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T

function problemsOf (value: unknown): string[] {
  try {
    checkDefinition(value)
  } catch (error) {
    if (error instanceof DefinitionError) return error.problems
    throw error
  }
  return []
}

t.test('the built-in definitions are plain data: a JSON round trip is lossless and still a valid definition', async (t) => {
  for (const definition of [GITHUB_DEFINITION, DEMO_DEFINITION]) {
    const json = clone(definition)
    t.same(json, definition, `${definition.name}: nothing is lost (no functions, no undefined, no class instances)`)
    t.same(problemsOf(json), [], `${definition.name}: the JSON form checks`)
  }
})

t.test('GitHub loaded from its JSON form syncs a table exactly like the compiled source', async (t) => {
  const fake = await startFakeGithub()
  const services = createEngineServices({ allowPrivateUpstreams: true, retry: { baseDelayMs: 5, maxBackoffMs: 20 } })
  const fromJson = defineRestSource(clone(GITHUB_DEFINITION) as SourceDefinition, githubHooks)
  t.teardown(async () => { await services.close(); await fake.close() })
  const payload = { config: { personal_access_token: fake.token, repositories: 'octo-org/alpha\nocto-org/beta' }, schema: 'issues' }
  const bodies: string[] = []
  for (const sources of [[fromJson], [githubSource]]) {
    const app = await buildApp({ settings: { LOG_LEVEL: 'silent', UPSTREAM_BASE_URLS: { Github: fake.url }, ALLOW_PRIVATE_UPSTREAMS: true }, services, sources })
    const response = await app.inject({ method: 'POST', url: '/v1/sources/github/sync', payload })
    t.equal(response.statusCode, 200)
    bodies.push(response.body.split('\n').filter((l) => !l.includes('"type":"state"')).join('\n'))
    await app.close()
  }
  const records = bodies[0]?.split('\n').filter((l) => l.includes('"type":"record"')) ?? []
  t.equal(records.length, fake.repo('octo-org/alpha').issues.length + fake.repo('octo-org/beta').issues.length)
  t.equal(bodies[0], bodies[1], 'the same lines, byte for byte')
})

t.test('a typo anywhere is a load error naming its JSON pointer', async (t) => {
  const typo = clone(GITHUB_DEFINITION) as unknown as { endpoints: Array<Record<string, unknown>>, client: Record<string, unknown> }
  ;(typo.endpoints[11] as Record<string, unknown>).pagecap = 3
  typo.client.budget = {}
  t.same(problemsOf(typo).sort(), ['/client/budget: unknown property', '/endpoints/11/pagecap: unknown property'], 'both named, nothing else')

  const unsupported = clone(GITHUB_DEFINITION) as unknown as { defaults: { paginator: Record<string, unknown> } }
  unsupported.defaults.paginator = { type: 'Foo' }
  t.same(problemsOf(unsupported), ['/defaults/paginator/type: unsupported "Foo"'])

  const wrongAuth = clone(GITHUB_DEFINITION) as unknown as { client: { auth: Record<string, unknown> } }
  wrongAuth.client.auth = { type: 'bearer', tokn: { field: 'personal_access_token' } }
  t.same(problemsOf(wrongAuth).sort(), ['/client/auth/tokn: unknown property', '/client/auth: must have required properties token'],
    'only the bearer branch speaks, not every auth type')
})

t.test('references the schema cannot see are checked too', async (t) => {
  const broken = clone(GITHUB_DEFINITION) as unknown as SourceDefinition & { client: { auth: unknown }, check: { steps: Array<Record<string, unknown>> }, endpoints: Array<Record<string, unknown>> }
  broken.client.auth = { type: 'bearer', token: { field: 'access_token' } }
  ;(broken.check.steps[1] as Record<string, unknown>).forEachParent = 'repos'
  ;(broken.endpoints[0] as Record<string, unknown>).fanOut = { parent: 'nowhere', resolveParam: 'repository', resolveField: 'full_name' }
  const problems = problemsOf(broken)
  t.ok(problems.includes('/client/auth/token: no form field "access_token"'), problems.join('\n'))
  t.ok(problems.includes('/check/steps/1/forEachParent: no static parent list "repos"'))
  t.ok(problems.includes('/endpoints/0/fanOut/parent: "nowhere" is neither a table nor a static parent list'))

  const engine = clone(GITHUB_DEFINITION) as unknown as { endpoints: Array<Record<string, unknown>> }
  ;(engine.endpoints[1] as Record<string, unknown>).path = '/repos/issues'
  t.match(problemsOf(engine), [/^\/endpoints\/issues\/fanOut\/resolveParam: path "\/repos\/issues" has no \{repository\} placeholder$/], 'the engine\'s own checks run on every endpoint, defaults applied')
  t.throws(() => defineRestSource(engine as never), DefinitionError)
})

t.test('endpoint defaults: inherited unless set; params and headers merge; response actions are the endpoint\'s, then the defaults\'', async (t) => {
  const byName = new Map(githubSource.endpoints.map((e) => [e.name, e]))
  t.match(byName.get('issues'), { paginator: { type: 'link_header' }, pageSize: { param: 'per_page', value: 100 }, fanOut: { parent: 'configured_repositories' } })
  t.equal(byName.get('repositories')?.pageSize, undefined, 'pageSize: null opts out')
  t.same(byName.get('repositories')?.paginator, { type: 'single_page' })
  t.same(byName.get('commits')?.responseActions?.map((a) => a.status), [409, 403])
  t.equal(byName.get('pull_request_reviews')?.fanOut?.parent, 'pull_requests', 'an endpoint\'s own fan-out replaces the default')
})

t.test('config references: secrets, headers and params come from the form; empty values drop what they fill', async (t) => {
  const ctx = { services: createEngineServices(), log: pino({ level: 'silent' }), signal: new AbortController().signal }
  t.teardown(async () => { await ctx.services.close() })
  const options = githubSource.clientOptionsFor(parseConfig(githubSource.fields, { personal_access_token: 'tok', repositories: 'a/b' }), ctx)
  t.same(options.auth, { type: 'bearer', token: 'tok' })
  t.equal(options.baseUrl, 'https://api.github.com')
  t.equal(githubSource.clientOptionsFor(parseConfig(githubSource.fields, { personal_access_token: 'tok', repositories: 'a/b', api_base_url: 'https://ghe.example/api/v3/' }), ctx).baseUrl,
    'https://ghe.example/api/v3', 'the form field wins')
  const keyed = defineRestSource({
    name: 'Keyed',
    label: 'Keyed',
    category: 'Test',
    fields: [
      { type: 'password', name: 'key', label: 'Key', required: true, placeholder: '', secret: true },
      { type: 'text', name: 'account', label: 'Account', required: false, placeholder: '' }
    ],
    client: {
      baseUrl: { default: 'https://api.example' },
      auth: { type: 'api_key', name: 'Authorization', scheme: 'Key', key: { field: 'key' } },
      headers: { 'X-Account': { field: 'account' }, 'X-Both': { template: '{key}/{account}' } },
      params: { region: { field: 'account', default: 'eu' } }
    },
    endpoints: [{ name: 'things', path: '/things', paginator: { type: 'single_page' }, primaryKeys: ['id'] }],
    check: { steps: [{ path: '/me' }] }
  })
  const bare = keyed.clientOptionsFor(parseConfig(keyed.fields, { key: 'k' }), ctx)
  t.same(bare.headers, {}, 'an empty field drops its header, and a template with an empty placeholder drops too')
  t.same(bare.auth, { type: 'api_key', name: 'Authorization', scheme: 'Key', key: 'k' })
  t.same(keyed.endpointsFor(parseConfig(keyed.fields, { key: 'k' }), ctx)[0]?.params, { region: 'eu' }, 'a default fills an empty field')
  const full = keyed.clientOptionsFor(parseConfig(keyed.fields, { key: 'k', account: 'acct_1' }), ctx)
  t.same(full.headers, { 'X-Account': 'acct_1', 'X-Both': 'k/acct_1' })
})

t.test('static parents from a form field: split, deduplicated, capped with a 400 naming the field', async (t) => {
  t.same(parentRows(GITHUB_DEFINITION, 'configured_repositories', { repositories: 'a/b, A/B\nc/d' }), [{ full_name: 'a/b' }, { full_name: 'c/d' }])
  t.same(parentRows(GITHUB_DEFINITION, 'configured_repositories', { repositories: ['x/y'] }), [{ full_name: 'x/y' }])
  const many = Array.from({ length: 101 }, (_, i) => `o/r${i}`).join('\n')
  t.throws(() => parentRows(GITHUB_DEFINITION, 'configured_repositories', { repositories: many }), { errors: [{ path: '/config/repositories', message: /at most 100/ }] })
})

t.test('the example in src/sources/README.md is a valid definition', async (t) => {
  const { readFileSync } = await import('node:fs')
  const readme = readFileSync(new URL('../../src/sources/README.md', import.meta.url), 'utf8')
  const json = /```json\n([\s\S]*?)\n```/.exec(readme)?.[1]
  t.ok(json, 'the README has a JSON example')
  const example = checkDefinition(JSON.parse(json ?? '{}'))
  const source = defineRestSource(example)
  const services = createEngineServices()
  t.teardown(async () => { await services.close() })
  t.same((await source.getSchemas(null, { services, log: pino({ level: 'silent' }), signal: new AbortController().signal })).map((s) => s.name), ['projects', 'tasks'])
})
