/**
 * MANIFESTS_DIR: every `*.json`, `*.yaml` and `*.yml` file in the folder becomes a source at start.
 * Our own definitions are named by their `name`; an Airbyte manifest by its file name without the
 * extension and a leading `source-`, in PascalCase (`source-workable.yaml` → `Workable`). Any problem —
 * a file that does not load, a name twice, a name of a built-in source — stops the start with one
 * line per problem, naming the file and the JSON pointer.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { DefinitionError } from '../sources/definition.js'
import { loadSourceText, type LoadedSource } from './source.js'

const DEFINITION_FILE = /\.(json|ya?ml)$/i

export class ManifestsLoadError extends Error {
  constructor (readonly problems: string[]) {
    super(`Cannot load MANIFESTS_DIR:\n  ${problems.join('\n  ')}`)
    this.name = 'ManifestsLoadError'
  }
}

/** `source-workable.yaml` → `Workable`, `my_api.yml` → `MyApi`. */
export function sourceNameFromFile (file: string): string {
  const stem = file.replace(DEFINITION_FILE, '').replace(/^source-/i, '')
  return stem.split(/[^A-Za-z0-9]+/).filter((w) => w !== '').map((w) => w[0]?.toUpperCase() + w.slice(1)).join('')
}

export interface LoadedFile extends LoadedSource { file: string }

export function loadManifestsDir (dir: string, builtinNames: readonly string[]): LoadedFile[] {
  const folder = resolve(dir)
  let files: string[]
  try {
    if (!statSync(folder).isDirectory()) throw new ManifestsLoadError([`${dir}: not a folder`])
    files = readdirSync(folder).filter((f) => DEFINITION_FILE.test(f)).sort()
  } catch (error) {
    if (error instanceof ManifestsLoadError) throw error
    throw new ManifestsLoadError([`${dir}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`])
  }
  const problems: string[] = []
  const loaded: LoadedFile[] = []
  const taken = new Map(builtinNames.map((n) => [n.toLowerCase(), 'a built-in source']))
  for (const file of files) {
    const airbyteName = sourceNameFromFile(file)
    try {
      if (!/^[A-Z][A-Za-z0-9]*$/.test(airbyteName)) { problems.push(`${file}: the file name gives no usable source name (letters and digits, e.g. source-workable.yaml → Workable)`); continue }
      const text = readFileSync(join(folder, file), 'utf8')
      const source = loadSourceText(text, { where: file, airbyteName, baseDir: pathToFileURL(folder + '/') })
      const name = source.source.name
      const pointer = source.format === 'definition' ? '/name' : ''
      const owner = taken.get(name.toLowerCase())
      if (owner !== undefined) { problems.push(`${file}: ${pointer}${pointer === '' ? '' : ': '}the source name "${name}" is already taken by ${owner}`); continue }
      taken.set(name.toLowerCase(), file)
      loaded.push({ ...source, file })
    } catch (error) {
      if (!(error instanceof DefinitionError)) throw error
      for (const problem of error.problems) problems.push(`${file}: ${problem.replace(/^: /, '')}`)
    }
  }
  if (problems.length > 0) throw new ManifestsLoadError(problems)
  return loaded
}
