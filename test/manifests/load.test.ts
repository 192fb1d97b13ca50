/**
 * What does not load, and how it is told: one problem per line naming the file and the JSON pointer;
 * unsupported components refused by name; a stream with unsupported parts listed as unavailable while
 * the others load; names that clash with a built-in source refused; escape attempts in expressions
 * refused or inert.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { parse, stringify } from 'yaml'
import { loadManifestsDir, ManifestsLoadError, sourceNameFromFile } from '../../src/manifests/folder.js'
import { loadSourceText } from '../../src/manifests/source.js'
import { DefinitionError } from '../../src/sources/definition.js'
import { FIXTURES } from './helpers.js'

const workable = parse(readFileSync(join(FIXTURES, 'source-workable.yaml'), 'utf8')) as Record<string, any>

function folderWith (files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'manifests-'))
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), typeof content === 'string' ? content : stringify(content))
  return dir
}

function problemsOf (files: Record<string, unknown>, builtins: string[] = ['Github', 'Demo', 'CustomRest']): string[] {
  try { loadManifestsDir(folderWith(files), builtins) } catch (error) {
    if (error instanceof ManifestsLoadError) return error.problems
    throw error
  }
  return []
}

function loadProblems (text: string): string[] {
  try { loadSourceText(text, { where: 'x', airbyteName: 'X' }) } catch (error) {
    if (error instanceof DefinitionError) return error.problems
    throw error
  }
  return []
}

const edited = (edit: (m: Record<string, any>) => void): Record<string, any> => { const copy = structuredClone(workable); edit(copy); return copy }

t.test('names come from file names', async (t) => {
  t.equal(sourceNameFromFile('source-workable.yaml'), 'Workable')
  t.equal(sourceNameFromFile('source-google-sheets.yml'), 'GoogleSheets')
  t.equal(sourceNameFromFile('my_api.json'), 'MyApi')
})

t.test('the fixtures folder loads', async (t) => {
  const loaded = loadManifestsDir(FIXTURES, ['Github'])
  t.same(loaded.map((l) => [l.file, l.source.name, l.format]), [
    ['source-freshdesk.yaml', 'Freshdesk', 'airbyte'], ['source-pipedrive.yaml', 'Pipedrive', 'airbyte'], ['source-workable.yaml', 'Workable', 'airbyte']
  ])
})

t.test('an unsupported paginator type names the file and the pointer of the component as written', async (t) => {
  const problems = problemsOf({ 'source-x.yaml': edited((m) => { m.definitions.paginator.pagination_strategy.type = 'Foo' }) })
  t.same(problems, [
    'source-x.yaml: /definitions/paginator/pagination_strategy/type: unsupported "Foo"'
  ].concat(problems.slice(1)))
  t.ok(problems.length >= 1)
})

t.test('a stream with unsupported parts is unavailable with its reason; the others load', async (t) => {
  const m = edited((m) => { m.definitions.candidates_stream.retriever = { type: 'AsyncRetriever' } })
  const loaded = loadSourceText(stringify(m), { where: 'source-x.yaml', airbyteName: 'X' })
  t.same(loaded.definition.endpoints.map((e) => e.name), ['jobs', 'job_questions'])
  t.same(loaded.unavailable.map((u) => u.stream), ['candidates'])
  t.match(loaded.unavailable[0]?.reason, '/definitions/candidates_stream/retriever/type: unsupported "AsyncRetriever"')
  t.match(loaded.definition.caption, 'Unavailable streams: candidates')
})

t.test('custom components, decoders, record filters and dynamic streams are refused by name', async (t) => {
  const cases: Array<[string, (m: Record<string, any>) => void, string]> = [
    ['CustomRecordExtractor', (m) => { m.definitions.retriever.record_selector.extractor = { type: 'CustomRecordExtractor', class_name: 'x.Y' } }, '/definitions/retriever/record_selector/extractor/type: unsupported "CustomRecordExtractor" (custom components run Python code'],
    ['XmlDecoder', (m) => { m.definitions.retriever.decoder = { type: 'XmlDecoder' } }, '/definitions/retriever/decoder/type: unsupported "XmlDecoder"'],
    ['record_filter', (m) => { m.definitions.retriever.record_selector.record_filter = { condition: '{{ record.x }}' } }, '/definitions/retriever/record_selector/record_filter: unsupported: record filters'],
    ['dynamic_streams', (m) => { m.dynamic_streams = [] }, '/dynamic_streams: unsupported: dynamic streams'],
    ['version 7', (m) => { m.version = '7.0.0' }, '/version: unsupported "7.0.0"'],
    ['a missing $ref target', (m) => { m.streams[0] = { $ref: '#/definitions/nope' } }, '/streams/0/$ref: "#/definitions/nope" points to nothing'],
    ['a cursor reading the config', (m) => { m.definitions.paginator.pagination_strategy.cursor_value = "{{ config['x'] }}" }, '/definitions/paginator/pagination_strategy/cursor_value: may read']
  ]
  for (const [name, edit, expected] of cases) {
    const problems = problemsOf({ 'source-x.yaml': edited(edit) })
    t.ok(problems.some((p) => p.startsWith(`source-x.yaml: ${expected}`)), `${name}: ${problems.join(' | ')}`)
  }
})

t.test('a ListPartitionRouter makes its stream unavailable', async (t) => {
  const m = edited((m) => { m.definitions.job_questions_stream.retriever.partition_router = { type: 'ListPartitionRouter', values: ['a'], cursor_field: 'x' } })
  const loaded = loadSourceText(stringify(m), { where: 'source-x.yaml', airbyteName: 'X' })
  t.same(loaded.unavailable.map((u) => u.stream), ['job_questions'])
  t.match(loaded.unavailable[0]?.reason, '/definitions/job_questions_stream/retriever/partition_router/type: unsupported "ListPartitionRouter"')
})

t.test('stray keys Airbyte ignores are ignored; an unknown component type is not', async (t) => {
  const stray = edited((m) => { m.definitions.requester.authenticator.name = 'x'; m.definitions.paginator.primary_key = 'id'; m.definitions.paginator.path = '/y' })
  t.same(problemsOf({ 'source-x.yaml': stray }), [])
  const unknown = edited((m) => { m.definitions.requester.authenticator.type = 'SessionTokenAuthenticator' })
  t.ok(problemsOf({ 'source-x.yaml': unknown }).some((p) => p.includes('/definitions/requester/authenticator/type: unsupported "SessionTokenAuthenticator"')))
})

t.test('a start is refused with every problem of every file, and built-in names are refused', async (t) => {
  const problems = problemsOf({
    'source-github.yaml': workable,
    'a.json': '{ "not json',
    'b.yaml': 'key: [unclosed',
    'c.json': JSON.stringify({ name: 'Demo', label: 'x' }),
    'ignored.txt': 'not a definition'
  })
  t.ok(problems.some((p) => p.startsWith('source-github.yaml: the source name "Github" is already taken by a built-in source')), problems.join('\n'))
  t.ok(problems.some((p) => p.startsWith('a.json: not valid JSON')))
  t.ok(problems.some((p) => p.startsWith('b.yaml: not valid YAML (line 1')))
  t.ok(problems.some((p) => p.startsWith('c.json: must have required properties category')), 'our own format is checked by its schema')
  t.notOk(problems.some((p) => p.startsWith('ignored.txt')))
})

t.test('escape attempts in a manifest are refused at load or evaluate to nothing', async (t) => {
  const refused = problemsOf({ 'source-x.yaml': edited((m) => { m.definitions.paginator.pagination_strategy.cursor_value = "{{ response.__class__.__mro__[1].__subclasses__() }}{% for x in y %}" }) })
  t.ok(refused.some((p) => p.includes('cursor_value: cannot interpolate')), refused.join('\n'))
  const inert = edited((m) => {
    m.definitions.paginator.pagination_strategy.cursor_value = "{{ [].constructor.constructor('return process')() }}"
    m.definitions.requester.request_headers = { 'X-Probe': "{{ config.constructor.constructor('return process')() }}" }
  })
  const loaded = loadSourceText(stringify(inert), { where: 'x', airbyteName: 'X' })
  t.equal(loaded.definition.endpoints.length, 3, 'loads: the expressions are data access that finds nothing')
  const proto = edited((m) => { m.definitions.requester.request_headers = { 'X-Proto': '{{ config.__proto__ }}' } })
  t.ok(loadProblems(stringify(proto)).some((p) => p.endsWith('no form field "__proto__"')), 'a config key outside the form is a load error')
})

t.test('our own definition format loads from JSON and YAML, named by its name', async (t) => {
  const github = (await import('../../src/sources/github/source.js')).GITHUB_DEFINITION
  const json = loadSourceText(JSON.stringify({ ...github, name: 'GithubCopy' }), { where: 'copy.json', airbyteName: 'Ignored' })
  t.equal(json.source.name, 'GithubCopy')
  t.equal(json.format, 'definition')
  const yaml = loadSourceText(stringify({ ...github, name: 'GithubYaml' }), { where: 'copy.yaml', airbyteName: 'Ignored' })
  t.equal(yaml.source.name, 'GithubYaml')
  t.ok(loadProblems(JSON.stringify({ ...github, name: 'Typo', endpoints: [{ ...github.endpoints[1], pagecap: 3 }] })).includes('/endpoints/0/pagecap: unknown property'))
})

t.test('the definition format is published as JSON Schema, at its path and in openapi/', async (t) => {
  const { buildApp } = await import('../../src/app.js')
  const { definitionJsonSchemaText, DEFINITION_SCHEMA_PATH } = await import('../../src/sources/definition-schema.js')
  const { Compile } = await import('typebox/compile')
  const committed = readFileSync(new URL('../../openapi/source-definition.schema.json', import.meta.url), 'utf8')
  t.ok(committed === definitionJsonSchemaText(), 'openapi/source-definition.schema.json is stale: run `npm run definition-schema`')
  const app = await buildApp({ settings: { LOG_LEVEL: 'silent' } })
  const response = await app.inject({ url: DEFINITION_SCHEMA_PATH })
  await app.close()
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], 'application/schema+json')
  const schema = JSON.parse(response.body) as Record<string, unknown>
  const { $schema: _s, $id: _i, ...plain } = schema
  const check = Compile(plain as never)
  const github = (await import('../../src/sources/github/source.js')).GITHUB_DEFINITION
  t.ok(check.Check(JSON.parse(JSON.stringify(github))), 'the GitHub definition is valid against the published schema')
  const translated = loadSourceText(readFileSync(join(FIXTURES, 'source-freshdesk.yaml'), 'utf8'), { where: 'x', airbyteName: 'Freshdesk' }).definition
  t.ok(check.Check(JSON.parse(JSON.stringify(translated))), 'a translated manifest is valid against it too')
  t.notOk(check.Check({ ...JSON.parse(JSON.stringify(github)), pagecap: 1 }), 'unknown keys are refused')
})

t.test('the process refuses to start with a manifest that does not load, one line per problem', async (t) => {
  const { spawn } = await import('node:child_process')
  const { fileURLToPath } = await import('node:url')
  const dir = folderWith({ 'source-x.yaml': edited((m) => { m.definitions.paginator.pagination_strategy.type = 'Foo' }) })
  const child = spawn(process.execPath, ['--import=tsx', fileURLToPath(new URL('../../src/server.ts', import.meta.url))], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'silent', MANIFESTS_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => { child.on('exit', resolve) })
  t.equal(code, 2)
  t.match(stderr, 'Cannot load MANIFESTS_DIR:\n  source-x.yaml: /definitions/paginator/pagination_strategy/type: unsupported "Foo"')
})

t.test('references that fan out exponentially are refused, not expanded', async (t) => {
  const definitions: Record<string, unknown> = { l0: { value: 'x' } }
  for (let i = 1; i <= 30; i++) definitions[`l${i}`] = { a: { $ref: `#/definitions/l${i - 1}` }, b: { $ref: `#/definitions/l${i - 1}` } }
  const bomb = { ...workable, definitions: { ...workable.definitions, ...definitions }, metadata: { $ref: '#/definitions/l30' } }
  const started = Date.now()
  const problems = loadProblems(JSON.stringify(bomb))
  t.ok(problems.some((p) => p.includes('expands to more than')), problems.join('\n'))
  t.ok(Date.now() - started < 20_000, 'refused quickly')
})
