/**
 * `CustomRest`: a built-in source whose form holds a whole definition — `manifest` (JSON or YAML text of
 * an Airbyte manifest or of our own definition format) and `manifest_config` (the values the manifest's
 * spec asks for). The service stays stateless: the manifest travels with every validate, schemas and
 * sync request, is translated on first use and kept in a small cache by digest. Resume tokens carry the
 * manifest's digest, so a token from another manifest version is refused (400 naming /resume_state).
 */
import { CredentialsRequiredError, ValidationError } from '../errors.js'
import { parseConfig } from '../sources/config.js'
import { DefinitionError } from '../sources/definition.js'
import type { AnySource, Source } from '../sources/types.js'
import { formShapedConfig } from './spec-form.js'
import { digestOf, loadSourceText, type LoadedSource } from './source.js'

export const CUSTOM_REST_NAME = 'CustomRest'
/** Translated manifests kept (by digest of their text); each is a few kilobytes. */
const CACHE_SIZE = 32

export const CUSTOM_REST_FIELDS = [
  {
    type: 'textarea',
    name: 'manifest',
    label: 'Manifest',
    required: true,
    placeholder: 'version: 6.0.0\ntype: DeclarativeSource\n…',
    caption: 'An Airbyte low-code manifest (YAML or JSON), or a source definition in this service\'s own format (its JSON Schema is served at /schemas/source-definition.json).'
  },
  {
    type: 'file-upload',
    name: 'manifest_config',
    label: 'Manifest config',
    required: true,
    fileFormat: { format: '.json', keys: '*' }
  }
] as const

const cache = new Map<string, LoadedSource>()

function inner (text: string): LoadedSource {
  const digest = digestOf(text)
  const hit = cache.get(digest)
  if (hit !== undefined) { cache.delete(digest); cache.set(digest, hit); return hit }
  let loaded: LoadedSource
  try {
    loaded = loadSourceText(text, { where: 'manifest', airbyteName: CUSTOM_REST_NAME })
  } catch (error) {
    if (!(error instanceof DefinitionError)) throw error
    throw new ValidationError(error.problems.slice(0, 50).map((problem) => ({ path: '/config/manifest', message: problem.replace(/^: /, '') })))
  }
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string)
  cache.set(digest, loaded)
  return loaded
}

type Config = Record<string, unknown>

/** The inner source and its parsed config (in the form's shape; the spec's own oneOf shape is accepted too). */
function resolve (config: Config): { loaded: LoadedSource, config: Config } {
  const loaded = inner(String(config.manifest))
  const raw = loaded.form === undefined ? config.manifest_config : formShapedConfig(config.manifest_config, loaded.form)
  return { loaded, config: parseConfig(loaded.source.fields, raw, '/config/manifest_config') as Config }
}

export const customRestSource: Source<typeof CUSTOM_REST_FIELDS> = {
  name: CUSTOM_REST_NAME,
  fields: CUSTOM_REST_FIELDS,
  getSourceConfig: () => ({
    name: CUSTOM_REST_NAME,
    label: 'Custom REST API',
    caption: 'Any REST API described by an Airbyte low-code manifest or a source definition, sent with the config.',
    category: 'Custom',
    releaseStatus: 'alpha',
    keywords: ['airbyte', 'manifest', 'low-code', 'custom', 'rest'],
    fields: structuredClone(CUSTOM_REST_FIELDS) as unknown as ReturnType<AnySource['getSourceConfig']>['fields']
  }),
  validateCredentials: async (config, ctx) => {
    const { loaded, config: cfg } = resolve(config)
    return await loaded.source.validateCredentials(cfg, ctx)
  },
  getSchemas: async (config, ctx) => {
    if (config === null) throw new CredentialsRequiredError('The tables of a CustomRest source come from its manifest: send the config (manifest and manifest_config).')
    const { loaded, config: cfg } = resolve(config)
    return await loaded.source.getSchemas(cfg, ctx)
  },
  sourceForPipeline: async (config, inputs, ctx) => {
    const { loaded, config: cfg } = resolve(config)
    return await loaded.source.sourceForPipeline(cfg, inputs, ctx)
  },
  definitionDigest: (config) => digestOf(String((config as Config).manifest)),
  errorRules: []
}
