/**
 * The source contract (the seed's SimpleSource, in TypeScript). A source is data plus a little code:
 * its form, its table catalog, a credential check, and a pipeline handoff that returns pages of rows
 * with the metadata a warehouse merge needs.
 */
import Type, { type Static } from 'typebox'
import type { Logger } from 'pino'
import type { ConfigOf, FieldDecl, SourceConfig } from './fields.js'
import { IncrementalFieldTypeSchema } from '../engine/declarations.js'
import type { EngineEvent, Page, RateBudget, ResumeState } from '../engine/types.js'
import type { EngineServices } from '../engine/services.js'
import type { FastifyPluginAsync } from 'fastify'
import type { ErrorRule, SourceDefinition } from './definition.js'

export const IncrementalFieldInfoSchema = Type.Object({
  label: Type.String(),
  type: IncrementalFieldTypeSchema,
  field: Type.String(),
  field_type: IncrementalFieldTypeSchema
})

/** A table as the wizard lists it (snake_case keys, as PostHog). */
export const SourceSchemaSchema = Type.Object({
  name: Type.String(),
  label: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  supports_incremental: Type.Boolean(),
  supports_append: Type.Boolean(),
  incremental_fields: Type.Array(IncrementalFieldInfoSchema),
  primary_keys: Type.Array(Type.String()),
  should_sync_default: Type.Boolean()
}, { title: 'SourceSchema' })
export type SourceSchema = Static<typeof SourceSchemaSchema>

/**
 * A config as request bodies carry it. Unknown keys inside it are the form parser's business
 * (sources/config.ts ignores them: flat prefixed forms and PostHog job_inputs carry extra keys).
 */
export const ConfigSchema = Type.Object({}, {
  additionalProperties: true,
  description: 'Form values keyed by field name, as PostHog job_inputs: a select with sub-fields as ' +
    '{selection, ...sub-fields}, a switch group as {enabled, ...sub-fields}, or the flat prefixed form. ' +
    'Keys the form does not declare are ignored.'
})

export const SyncTypeSchema = Type.Union([Type.Literal('full_refresh'), Type.Literal('incremental'), Type.Literal('append')])
export type SyncType = Static<typeof SyncTypeSchema>

/** A credential check result: a rejected credential is a result, not an exception. */
export const CredentialCheckSchema = Type.Union([
  Type.Object({ valid: Type.Literal(true) }, { title: 'CredentialsValid' }),
  Type.Object({
    valid: Type.Literal(false),
    code: Type.String({ description: 'Stable code of the rejection, e.g. UPSTREAM_AUTH_FAILED.' }),
    message: Type.String({ description: 'What is wrong with the credential, in words for the user.' })
  }, { title: 'CredentialsInvalid' })
], { title: 'CredentialCheck', description: 'The outcome of the check: a rejected credential is a result, not an error.' })
export type CredentialCheck = Static<typeof CredentialCheckSchema>

/** What every source call gets: engine services, routing overrides, logging and cancellation. */
export interface SourceContext {
  services: EngineServices
  /** Operator override of the source's default base URL (UPSTREAM_BASE_URLS). A URL typed in the form still wins. */
  baseUrlOverride?: string
  /** Operator budgets by rate-limit class (SOURCE_BUDGETS), each replacing the source's declared one. */
  budgetOverrides?: Record<string, RateBudget>
  /** Origin (scheme://host:port) this service listens on, as it can reach itself (the Demo sample API). */
  serviceOrigin?: string
  /** Bearer token the service accepts from itself on its own protected routes (set when API_TOKENS is). */
  serviceToken?: string
  log: Logger
  signal: AbortSignal
  onEvent?: (event: EngineEvent) => void
  /** A person waits on the answer (credential checks): engine clients use the short interactive retry policy. */
  interactive?: boolean
}

export interface PipelineInputs {
  schema: string
  syncType: SyncType
  /** The incremental field chosen (incremental/append only). */
  incrementalField?: string
  lastValue?: unknown
  earliestValue?: unknown
  /** Engine state from a previous run's `state` line (already checked to belong to this table). */
  resumeState?: ResumeState | null
  maxPages?: number
  /** The caller writes the rows out unchanged (the sync stream): pages may stay text (PagesOptions.rowsAsText). */
  rowsAsText?: boolean
}

/** What a pipeline handoff returns: rows plus what a merge needs. */
export interface SourceResponse {
  name: string
  pages: AsyncIterable<Page>
  primaryKeys: string[]
  partitionMode: 'datetime' | 'numerical' | 'md5' | null
  partitionKeys: string[] | null
  partitionFormat: 'month' | 'week' | 'day' | 'hour' | null
  partitionCount: number | null
  partitionSize: number | null
  sortMode: 'asc' | 'desc'
  tableFormat: 'delta'
}

export interface Source<Fs extends readonly FieldDecl[] = readonly FieldDecl[]> {
  /** PascalCase type, e.g. "Github". */
  readonly name: string
  /** The form: the fields a config must satisfy. `getSourceConfig().fields` is these. */
  readonly fields: Fs
  getSourceConfig: () => SourceConfig
  // Method syntax on purpose: a registry holds sources of different configs as AnySource (bivariant parameters).
  validateCredentials (config: ConfigOf<Fs>, ctx: SourceContext): Promise<CredentialCheck>
  /** Tables this config can sync. With `config` null, the static catalog (or throw CredentialsRequiredError). */
  getSchemas (config: ConfigOf<Fs> | null, ctx: SourceContext): Promise<SourceSchema[]>
  sourceForPipeline (config: ConfigOf<Fs>, inputs: PipelineInputs, ctx: SourceContext): Promise<SourceResponse>
  /** How failures are told to the user and whether they are retried: first match on code/status/vendor message wins. */
  readonly errorRules: readonly ErrorRule[]
  /**
   * The form field whose value replaces the base URL (named in a refused-target problem as
   * `/config/<field>`). Default: the form's only `url` field, if it has exactly one.
   */
  readonly baseUrlField?: string
  /**
   * Reshape a raw config before it is checked against the form (an Airbyte manifest's oneOf sent in the
   * spec's own shape, keyed by its discriminator instead of `selection`).
   */
  readonly prepareConfig?: (raw: unknown) => unknown
  /**
   * Digest of the definition this config runs (manifest sources: the manifest itself). Resume tokens
   * carry it, so a token issued under another version of the manifest is refused.
   */
  readonly definitionDigest?: (config: unknown) => string
  /** The serialisable definition the source was built from (absent for hand-written sources). */
  readonly definition?: SourceDefinition
  /** Static files the source serves (icon), path → content. */
  readonly assets?: Record<string, { contentType: string, body: string | Buffer }>
  /** HTTP routes the source serves itself (the Demo sample API), mounted by the app. */
  readonly routes?: SourceRoutes
}

export interface SourceRoutes {
  /** URL prefix, e.g. `/demo-api`. */
  prefix: string
  plugin: FastifyPluginAsync
  /** Behind the same bearer auth as /v1 when API_TOKENS is set (the service's own client uses `serviceToken`). */
  protected: boolean
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySource = Source<any>

/** Identity helper that keeps the literal field types of a source for ConfigOf<>. */
export function defineSource<const Fs extends readonly FieldDecl[]> (source: Source<Fs>): Source<Fs> {
  return source
}
