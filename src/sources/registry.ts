/**
 * The one place every source is registered. Routes look sources up here by name, case-insensitively.
 * To add a source: import it and append it to SOURCES (`npm run new-source -- <Name>` prints the line).
 */
import { SourceNotFoundError } from '../errors.js'
import { secretFieldNames } from './fields.js'
import type { AnySource } from './types.js'
import { demoSource } from './demo/source.js'
import { githubSource } from './github/source.js'
import { sentrySource } from './sentry/source.js'
import { stripeSource } from './stripe/source.js'
import { klaviyoSource } from './klaviyo/source.js'
import { typeformSource } from './typeform/source.js'
import { customRestSource } from '../manifests/custom-rest.js'

/** Every source the service offers. Keep this list the only registration point. */
export const SOURCES: readonly AnySource[] = [
  demoSource,
  githubSource,
  sentrySource,
  stripeSource,
  klaviyoSource,
  typeformSource,
  customRestSource
]

export interface SourceAsset {
  contentType: string
  body: string | Buffer
}

export interface ListOptions {
  /** Also list sources whose config says `unreleasedSource: true`. */
  includeUnreleased?: boolean
}

/** URL path prefix of assets whose key in `Source.assets` is a bare file name. */
export const ASSET_PATH_PREFIX = '/static/services/'

export interface SourceRegistry {
  /** The source with this name (any letter case); throws SourceNotFoundError. */
  get: (name: string) => AnySource
  find: (name: string) => AnySource | undefined
  list: (options?: ListOptions) => AnySource[]
  /** Names of every config field any registered source declares secret (for log redaction). */
  secretFieldNames: () => string[]
  /** URL path → static file, from every source's `assets`. */
  assets: () => ReadonlyMap<string, SourceAsset>
}

export function createRegistry (sources: readonly AnySource[]): SourceRegistry {
  const byName = new Map<string, AnySource>()
  for (const source of sources) {
    const key = source.name.toLowerCase()
    if (byName.has(key)) throw new Error(`Source "${source.name}" is registered twice.`)
    if (source.getSourceConfig().name !== source.name) {
      throw new Error(`Source "${source.name}" returns a config named "${source.getSourceConfig().name}".`)
    }
    byName.set(key, source)
  }

  const assets = new Map<string, SourceAsset>()
  for (const source of sources) {
    for (const [key, asset] of Object.entries(source.assets ?? {})) {
      const path = key.startsWith('/') ? key : ASSET_PATH_PREFIX + key
      if (assets.has(path)) throw new Error(`Asset ${path} is declared by two sources.`)
      assets.set(path, asset)
    }
  }

  const secrets = [...new Set(sources.flatMap((s) => secretFieldNames(s.fields)))].sort()

  return {
    find: (name) => byName.get(name.toLowerCase()),
    get (name) {
      const source = byName.get(name.toLowerCase())
      if (source === undefined) throw new SourceNotFoundError(name)
      return source
    },
    list: (options = {}) => sources.filter((s) => options.includeUnreleased === true || s.getSourceConfig().unreleasedSource !== true),
    secretFieldNames: () => [...secrets],
    assets: () => assets
  }
}

let defaultRegistry: SourceRegistry | undefined

/** The registry of SOURCES (built on first use). */
export function sourceRegistry (): SourceRegistry {
  defaultRegistry ??= createRegistry(SOURCES)
  return defaultRegistry
}

export function getSource (name: string): AnySource {
  return sourceRegistry().get(name)
}

export function listSources (options: ListOptions = {}): AnySource[] {
  return sourceRegistry().list(options)
}
