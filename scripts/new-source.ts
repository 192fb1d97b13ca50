/**
 * `npm run new-source -- <Name> [--root <dir>]`: scaffold a source from scripts/templates/source/.
 *
 * Writes a source definition — src/sources/<kebab>/{source.ts (form, client, check, errors),
 * settings.ts (endpoint catalog), api_inventory.md, icon.svg} — and the two test modules
 * test/sources/{<kebab>-source.test.ts, <kebab>.test.ts} under the project root (or `--root`), refuses
 * to overwrite anything, and prints the registry edit to make. No plumbing: defineRestSource supplies it.
 * The generated tests fail with TODO(new-source) messages until they are written.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const TEMPLATES_DIR = fileURLToPath(new URL('./templates/source/', import.meta.url))
export const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url))

/** PascalCase: a capital letter, then letters and digits (e.g. Github, GoogleAds, BigQuery, S3). */
const PASCAL_CASE = /^[A-Z][A-Za-z0-9]*$/
const MAX_NAME_LENGTH = 40

export interface SourceNames {
  /** PascalCase source type, e.g. GoogleAds */
  Name: string
  /** camelCase, for exported values: googleAds → googleAdsSource */
  name: string
  /** UPPER_SNAKE, for constants: GOOGLE_ADS_ENDPOINTS */
  NAME: string
  /** kebab-case, for folders, files and the icon path: google-ads */
  kebab: string
  /** Words, for labels: Google Ads */
  Label: string
}

/** The names a source goes by, or an error message saying what is wrong with `input`. */
export function sourceNames (input: string): SourceNames | string {
  if (!PASCAL_CASE.test(input)) {
    return `Source name "${input.slice(0, MAX_NAME_LENGTH)}" must be PascalCase: a capital letter, then letters and digits (e.g. GoogleAds).`
  }
  if (input.length > MAX_NAME_LENGTH) return `Source name must be at most ${MAX_NAME_LENGTH} characters.`
  const words = input.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z])([A-Z][a-z])/g, '$1 $2').split(' ')
  return {
    Name: input,
    name: input.charAt(0).toLowerCase() + input.slice(1),
    NAME: words.map((w) => w.toUpperCase()).join('_'),
    kebab: words.map((w) => w.toLowerCase()).join('-'),
    Label: words.join(' ')
  }
}

/** Template file → path of the generated file, relative to the project root. */
function outputs (names: SourceNames): Array<[template: string, target: string]> {
  const folder = `src/sources/${names.kebab}`
  return [
    ['source.ts.tmpl', `${folder}/source.ts`],
    ['settings.ts.tmpl', `${folder}/settings.ts`],
    ['api_inventory.md.tmpl', `${folder}/api_inventory.md`],
    ['icon.svg.tmpl', `${folder}/icon.svg`],
    ['source.test.ts.tmpl', `test/sources/${names.kebab}-source.test.ts`],
    ['endpoints.test.ts.tmpl', `test/sources/${names.kebab}.test.ts`]
  ]
}

export function render (template: string, names: SourceNames): string {
  return template
    .replaceAll('__Name__', names.Name)
    .replaceAll('__name__', names.name)
    .replaceAll('__NAME__', names.NAME)
    .replaceAll('__kebab__', names.kebab)
    .replaceAll('__Label__', names.Label)
    .replaceAll('__Initial__', names.Name.charAt(0))
}

export interface ScaffoldResult {
  names: SourceNames
  /** Paths written, relative to the root. */
  files: string[]
  /** The edit to make in src/sources/registry.ts. */
  registryEdit: string
}

export class ScaffoldError extends Error {}

export function scaffoldSource (input: string, options: { root?: string, templatesDir?: string } = {}): ScaffoldResult {
  const root = resolve(options.root ?? PROJECT_ROOT)
  const templatesDir = options.templatesDir ?? TEMPLATES_DIR
  const names = sourceNames(input)
  if (typeof names === 'string') throw new ScaffoldError(names)

  const plan = outputs(names)
  const sourcesDir = join(root, 'src/sources')
  const squash = (s: string): string => s.toLowerCase().replace(/[-_]/g, '')
  const sameName = existsSync(sourcesDir)
    ? readdirSync(sourcesDir, { withFileTypes: true }).filter((d) => d.isDirectory() && squash(d.name) === squash(names.kebab)).map((d) => `src/sources/${d.name}`)
    : []
  const existing = [...sameName, ...plan.map(([, target]) => target).filter((p) => existsSync(join(root, p)))]
  if (existing.length > 0) {
    throw new ScaffoldError(`Refusing to overwrite: ${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}. Pick another name or remove them first.`)
  }
  const rendered = plan.map(([template, target]) => [target, render(readFileSync(join(templatesDir, template), 'utf8'), names)] as const)
  for (const [target, text] of rendered) {
    const path = join(root, target)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, text, { flag: 'wx' })
  }
  return {
    names,
    files: rendered.map(([target]) => target),
    registryEdit: `import { ${names.name}Source } from './${names.kebab}/source.js'  // then add ${names.name}Source to SOURCES`
  }
}

function parseArgs (argv: string[]): { name?: string, root?: string } | string {
  const args: { name?: string, root?: string } = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--root') {
      const value = argv[++i]
      if (value === undefined) return '--root needs a directory.'
      args.root = value
    } else if (arg?.startsWith('-') === true) {
      return `Unknown option ${arg}.`
    } else if (args.name === undefined) {
      args.name = arg
    } else {
      return 'Give exactly one source name.'
    }
  }
  return args
}

export function main (argv: string[], out: (line: string) => void, err: (line: string) => void): number {
  const args = parseArgs(argv)
  if (typeof args === 'string' || args.name === undefined) {
    err(typeof args === 'string' ? args : 'Missing source name.')
    err('Usage: npm run new-source -- <PascalCaseName> [--root <project dir>]')
    return 2
  }
  try {
    const result = scaffoldSource(args.name, args.root === undefined ? {} : { root: args.root })
    out(`Created the ${result.names.Name} source:`)
    for (const file of result.files) out(`  ${file}`)
    out('')
    out('Register it in src/sources/registry.ts:')
    out(`  ${result.registryEdit}`)
    out('')
    out(`Then work through every TODO(new-source): grep -rn "TODO(new-source)" src/sources/${result.names.kebab} test/sources/${result.names.kebab}*`)
    out(`The generated tests fail until written: npx tap test/sources/${result.names.kebab}-source.test.ts test/sources/${result.names.kebab}.test.ts`)
    return 0
  } catch (error) {
    if (error instanceof ScaffoldError) {
      err(error.message)
      return 1
    }
    throw error
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`), (line) => process.stderr.write(`${line}\n`))
}
