/**
 * A Source from definition text (JSON or YAML) in either format: our own definition (its `name` is the
 * source's), or an Airbyte manifest translated at load (named by the caller). Both run through
 * defineRestSource like a built-in source; an Airbyte source adds two small hooks derived from its
 * spec: the config its expressions read (spec shapes) and the check that a config-filled url_base
 * stays a plain host or path part.
 */
import { createHash } from 'node:crypto'
import { parse as parseYaml, YAMLParseError } from 'yaml'
import { ValidationError } from '../errors.js'
import { DefinitionError, type SourceDefinition } from '../sources/definition.js'
import { checkDefinition, defineRestSource, type AnyConfig } from '../sources/rest-source.js'
import type { AnySource, SourceContext } from '../sources/types.js'
import type { ClientOptions } from '../engine/index.js'
import { isObject } from './expressions.js'
import { formShapedConfig, manifestConfig, type SpecForm } from './spec-form.js'
import { isAirbyteManifest, translateManifest, type UnavailableStream } from './translate.js'

/** Largest definition text accepted (a manifest with hundreds of streams stays far below). */
export const MAX_DEFINITION_BYTES = 2_000_000
/** YAML aliases allowed in one file (the `yaml` default; bounds alias expansion). */
const MAX_YAML_ALIASES = 100

export type DefinitionFormat = 'definition' | 'airbyte'

export interface LoadedSource {
  source: AnySource
  format: DefinitionFormat
  definition: SourceDefinition
  unavailable: UnavailableStream[]
  /** An Airbyte manifest's form with the shapes of its spec. */
  form?: SpecForm
  /** Digest of the definition text (resume tokens carry it). */
  digest: string
}

export function digestOf (text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22)
}

/** JSON or YAML text → a value; a syntax error is a DefinitionError naming the line. */
export function parseDefinitionText (text: string, where: string): unknown {
  if (Buffer.byteLength(text) > MAX_DEFINITION_BYTES) throw new DefinitionError([`: is larger than ${MAX_DEFINITION_BYTES} bytes`], where)
  const trimmed = text.trimStart()
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try { return JSON.parse(text) } catch (error) {
      throw new DefinitionError([`: not valid JSON (${(error as Error).message})`], where)
    }
  }
  try {
    return parseYaml(text, { schema: 'core', maxAliasCount: MAX_YAML_ALIASES, uniqueKeys: true, prettyErrors: true })
  } catch (error) {
    if (!(error instanceof YAMLParseError)) throw error
    const line = error.linePos?.[0]
    throw new DefinitionError([`: not valid YAML${line === undefined ? '' : ` (line ${line.line}, column ${line.col})`}: ${error.code}`], where)
  }
}

/** The url_base template as a pattern: literal text kept, each `{field}` a plain host label or path segment. */
function baseUrlPattern (template: string): RegExp {
  const parts = template.split(/(\{[A-Za-z0-9_.]+\})/)
  return new RegExp(`^${parts.map((p) => /^\{.*\}$/.test(p) ? '[A-Za-z0-9_~-]+(?:\\.[A-Za-z0-9_~-]+)*' : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('')}/?$`)
}

function placeholderFields (template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z0-9_.]+)\}/g)].map((m) => m[1] as string)
}

interface AirbyteHooksInput { form: SpecForm, baseUrl: string }

function airbyteHooks ({ form, baseUrl }: AirbyteHooksInput): Parameters<typeof defineRestSource>[1] {
  const pattern = baseUrlPattern(baseUrl)
  const fields = placeholderFields(baseUrl)
  return {
    // The manifest's expressions read the config in the spec's own shape (a oneOf keyed by its discriminator).
    normaliseConfig: (config: AnyConfig) => manifestConfig(config, form),
    // A config value filling url_base may only be a host label or path segment: it cannot move requests elsewhere.
    clientOptions: (options: ClientOptions, _config: AnyConfig, ctx: SourceContext) => {
      if (fields.length > 0 && ctx.baseUrlOverride === undefined && !pattern.test(options.baseUrl)) {
        throw new ValidationError(fields.map((name) => ({ path: `/config/${name.replaceAll('.', '/')}`, message: 'must be a plain host name or path part (letters, digits, "-", "_", "." and "~")' })))
      }
      return options
    }
  }
}

/**
 * Load a source from definition text. `airbyteName` names an Airbyte manifest's source (our own format
 * names itself). Throws DefinitionError with every problem, each starting with its JSON pointer.
 */
export function loadSourceText (text: string, options: { where: string, airbyteName: string, baseDir?: URL }): LoadedSource {
  const value = parseDefinitionText(text, options.where)
  const digest = digestOf(text)
  if (isAirbyteManifest(value)) {
    const translation = translateManifest(value, options.airbyteName, options.where)
    const definition = checkDefinition(translation.definition, options.where)
    const source = defineRestSource(definition, airbyteHooks(translation))
    const form = translation.form
    return { source: { ...source, definitionDigest: () => digest, prepareConfig: (raw: unknown) => formShapedConfig(raw, form) }, format: 'airbyte', definition, unavailable: translation.unavailable, form: translation.form, digest }
  }
  if (!isObject(value)) throw new DefinitionError([': must be an object (a source definition or an Airbyte manifest)'], options.where)
  const definition = checkDefinition(value, options.where)
  const source = defineRestSource(definition, {}, options.baseDir === undefined ? {} : { baseDir: options.baseDir })
  return { source: { ...source, definitionDigest: () => digest }, format: 'definition', definition, unavailable: [], digest }
}
