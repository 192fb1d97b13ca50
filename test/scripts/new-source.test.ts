/**
 * `npm run new-source`: names, templates, refusal to overwrite, and the generated source in a temp copy
 * of the project: it typechecks, registers, and its tests run and fail only on their TODOs.
 * Nothing is written into the real tree.
 */
import t from 'tap'
import fc from 'fast-check'
import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { main, PROJECT_ROOT, render, scaffoldSource, sourceNames, TEMPLATES_DIR, type SourceNames } from '../../scripts/new-source.js'

const run = promisify(execFile)
t.setTimeout(240_000)

/** A throwaway copy of the parts of the project a generated source needs. */
function tempProject (): string {
  const root = mkdtempSync(join(tmpdir(), 'new-source-'))
  cpSync(join(PROJECT_ROOT, 'src'), join(root, 'src'), { recursive: true })
  for (const file of ['package.json', 'tsconfig.json']) cpSync(join(PROJECT_ROOT, file), join(root, file))
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir')
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  return root
}

function capture (argv: string[]): { code: number, out: string, err: string } {
  const out: string[] = []
  const err: string[] = []
  const code = main(argv, (l) => out.push(l), (l) => err.push(l))
  return { code, out: out.join('\n'), err: err.join('\n') }
}

t.test('source names', async (t) => {
  const ok: Array<[string, Omit<SourceNames, 'Name'>]> = [
    ['Github', { name: 'github', NAME: 'GITHUB', kebab: 'github', Label: 'Github' }],
    ['GoogleAds', { name: 'googleAds', NAME: 'GOOGLE_ADS', kebab: 'google-ads', Label: 'Google Ads' }],
    ['BigQuery', { name: 'bigQuery', NAME: 'BIG_QUERY', kebab: 'big-query', Label: 'Big Query' }],
    ['MSSQL', { name: 'mSSQL', NAME: 'MSSQL', kebab: 'mssql', Label: 'MSSQL' }],
    ['HTTPApi', { name: 'hTTPApi', NAME: 'HTTP_API', kebab: 'http-api', Label: 'HTTP Api' }],
    ['S3', { name: 's3', NAME: 'S3', kebab: 's3', Label: 'S3' }]
  ]
  for (const [input, expected] of ok) t.strictSame(sourceNames(input), { Name: input, ...expected }, input)
  for (const bad of ['github', 'Google_Ads', 'Google-Ads', 'Google Ads', '', '9Lives', 'Ünicode', 'A'.repeat(41), '../Evil']) {
    t.type(sourceNames(bad), 'string', `refuses ${JSON.stringify(bad)}`)
  }
})

t.test('property: every template renders with no placeholder left, for any valid name', async (t) => {
  const templates = readdirSync(TEMPLATES_DIR).map((file) => readFileSync(join(TEMPLATES_DIR, file), 'utf8'))
  const pascal = fc.tuple(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'), fc.stringMatching(/^[A-Za-z0-9]{0,20}$/)).map(([a, b]) => a + b)
  fc.assert(fc.property(pascal, (input) => {
    const names = sourceNames(input)
    if (typeof names === 'string') return false
    return templates.every((template) => {
      const text = render(template, names)
      return !/__[A-Za-z]+__/.test(text)
    })
  }), { numRuns: 200 })
  t.pass('200 names')
})

t.test('command line: usage, bad names, refusal to overwrite', async (t) => {
  const root = tempProject()
  t.match(capture([]), { code: 2, err: /Missing source name[\s\S]*Usage: npm run new-source -- <PascalCaseName>/ })
  t.match(capture(['acme', '--root', root]), { code: 1, err: /must be PascalCase/ })
  t.match(capture(['Acme', 'Other', '--root', root]), { code: 2, err: /exactly one source name/ })
  t.match(capture(['Acme', '--force', '--root', root]), { code: 2, err: /Unknown option --force/ })

  const first = capture(['Acme', '--root', root])
  t.equal(first.code, 0)
  t.match(first.out, "import { acmeSource } from './acme/source.js'", 'prints the registry edit')
  t.match(first.out, 'test/sources/acme-source.test.ts')

  const sourceFile = join(root, 'src/sources/acme/source.ts')
  writeFileSync(sourceFile, '// work in progress\n')
  const again = capture(['Acme', '--root', root])
  t.equal(again.code, 1)
  t.match(again.err, /Refusing to overwrite: src\/sources\/acme/)
  t.equal(readFileSync(sourceFile, 'utf8'), '// work in progress\n', 'nothing was overwritten')

  const differentCase = capture(['GitHub', '--root', root])
  t.match(differentCase, { code: 1, err: /src\/sources\/github already exists/ }, 'an existing source under another spelling')
  rmSync(join(root, 'test/sources/acme.test.ts'))
  rmSync(join(root, 'test/sources/acme-source.test.ts'))
  t.match(capture(['Acme', '--root', root]), { code: 1 }, 'the folder alone is enough to refuse')
})

t.test('the npm script runs the scaffolder', async (t) => {
  const root = tempProject()
  const { stdout } = await run('npm', ['run', '--silent', 'new-source', '--', 'NpmCheck', '--root', root], { cwd: PROJECT_ROOT })
  t.match(stdout, 'Created the NpmCheck source')
  t.ok(readFileSync(join(root, 'src/sources/npm-check/source.ts'), 'utf8').includes('export const npmCheckSource = defineRestSource(NPM_CHECK_DEFINITION'))
})

t.test('the generated source typechecks, registers, and its tests fail only on their TODOs', async (t) => {
  const root = tempProject()
  const result = scaffoldSource('AcmeWidgets', { root })
  t.strictSame(result.files, [
    'src/sources/acme-widgets/source.ts',
    'src/sources/acme-widgets/settings.ts',
    'src/sources/acme-widgets/api_inventory.md',
    'src/sources/acme-widgets/icon.svg',
    'test/sources/acme-widgets-source.test.ts',
    'test/sources/acme-widgets.test.ts'
  ])
  writeFileSync(join(root, 'tsconfig.generated.json'), JSON.stringify({
    extends: './tsconfig.json',
    compilerOptions: { noEmit: true, rootDir: '.' },
    include: ['src/sources/acme-widgets/*.ts', 'test/sources/acme-widgets*.ts']
  }))
  // Registration as the printed edit would do it, plus the catalog route's JSON Schema.
  writeFileSync(join(root, 'register-check.ts'), [
    "import { createRegistry } from './src/sources/registry.js'",
    "import { configJsonSchema } from './src/sources/config.js'",
    "import { acmeWidgetsSource } from './src/sources/acme-widgets/source.js'",
    'const registry = createRegistry([acmeWidgetsSource])',
    "const source = registry.get('acmewidgets')",
    'console.log(JSON.stringify({',
    '  name: source.name,',
    "  listed: registry.list().length,",
    "  listedUnreleased: registry.list({ includeUnreleased: true }).length,",
    "  icon: registry.assets().has('/static/services/acme-widgets.svg'),",
    '  secrets: registry.secretFieldNames(),',
    '  schema: configJsonSchema(source.fields)',
    '}))'
  ].join('\n'))

  const tsx = ['--import', 'tsx']
  const [typecheck, registration, sourceTests, transportTests] = await Promise.all([
    run(process.execPath, [join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.generated.json'], { cwd: root }).then(() => ({ code: 0, out: '' }), (e: { code: number, stdout: string }) => ({ code: e.code, out: e.stdout })),
    run(process.execPath, [...tsx, 'register-check.ts'], { cwd: root }),
    run(process.execPath, [...tsx, 'test/sources/acme-widgets-source.test.ts'], { cwd: root }).then(() => ({ code: 0, stdout: '' }), (e: { code: number, stdout: string }) => e),
    run(process.execPath, [...tsx, 'test/sources/acme-widgets.test.ts'], { cwd: root }).then(() => ({ code: 0, stdout: '' }), (e: { code: number, stdout: string }) => e)
  ])
  t.equal(typecheck.code, 0, `tsc: ${typecheck.out}`)

  const registered = JSON.parse(registration.stdout) as { name: string, listed: number, listedUnreleased: number, icon: boolean, secrets: string[], schema: { properties: { api_key: { writeOnly?: boolean } } } }
  t.match(registered, { name: 'AcmeWidgets', listed: 0, listedUnreleased: 1, icon: true, secrets: ['api_key'] }, 'unreleased until its tests are written')
  t.equal(registered.schema.properties.api_key.writeOnly, true)

  for (const [file, run] of [['source', sourceTests], ['endpoints', transportTests]] as const) {
    t.not(run.code, 0, `${file} tests fail while TODOs remain`)
    const failures = run.stdout.split('\n').filter((line) => /^\s+not ok \d+ - /.test(line))
    t.ok(failures.length > 0, `${file}: has TODO failures`)
    t.strictSame(failures.filter((line) => !line.includes('TODO(new-source):')), [], `${file}: every failing assertion is a TODO`)
    t.ok(run.stdout.split('\n').some((line) => /^\s+ok \d+ - /.test(line)), `${file}: the scaffold's own assertions pass`)
  }
})
