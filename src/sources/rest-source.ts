/**
 * `defineRestSource(definition, hooks)`: a Source from a serialisable definition (definition.ts) plus
 * optional hooks for what is genuinely code. Everything generic lives here once: the form and its
 * config type, the table list, the credential check, config references resolved into client options
 * and endpoint declarations, static parent lists, the pipeline hand-off, icon serving and error rules.
 */
import { existsSync, readFileSync } from 'node:fs'
import {
  compiledTemplate, defineEndpoints, getPath, interpolatedText, InterpolationError, type ClientOptions, type Endpoint, type PagesOptions, type Page, type Params, type RestClient, type Row
} from '../engine/index.js'
import type { AuthConfig, RateBudget, RateBudgetEntry } from '../engine/client-options.js'
import { ValidationError } from '../errors.js'
import { assertFieldDecls } from './config.js'
import { checkPipelineInputs, findEndpoint, responseMetadata, schemasFromEndpoints } from './tables.js'
import { runCheck } from './check.js'
import { chooseBaseUrl, sourceClient } from './client.js'
import {
  DefinitionError, definitionSchemaProblems, type AuthDecl, type BudgetDecl, type ExpressionRef, type DefinitionEndpoint, type EndpointDefaults, type EndpointVariant,
  type ParamRef, type SourceDefinition, type TextValue
} from './definition.js'
import type { ConfigOf, FieldDecl, SourceConfig } from './fields.js'
import type { CredentialCheck, PipelineInputs, Source, SourceContext, SourceRoutes } from './types.js'

export type AnyConfig = Record<string, unknown>

/** Arguments of an endpoint-specific iterator hook. */
export interface PagesHookInput {
  client: RestClient
  endpoint: Endpoint
  catalog: readonly Endpoint[]
  config: AnyConfig
  inputs: PipelineInputs
  /** What the generic path would hand `client.pages()`; a hook may pass it on for the parts it does not change. */
  options: PagesOptions
  ctx: SourceContext
}

/** The code a definition cannot hold. Each is optional; a definition's comment says why it has one. */
export interface SourceHooks {
  /** Check and reshape the parsed config before anything else (throws ValidationError naming `/config/...`). */
  normaliseConfig?: (config: AnyConfig) => AnyConfig
  /** Adjust the client options built from the definition (e.g. trust the service's own origin). */
  clientOptions?: (options: ClientOptions, config: AnyConfig, ctx: SourceContext) => ClientOptions
  /** A credential check that cannot be data; replaces the definition's `check`. */
  checkCredentials?: (client: RestClient, config: AnyConfig, ctx: SourceContext) => Promise<CredentialCheck>
  /** Row transforms by table, applied after the engine's `addFields`. */
  transformRow?: Record<string, (row: Row) => Row>
  /** Endpoint-specific iterators by table (the seed's priority 1), for an API no declaration describes. */
  pages?: Record<string, (input: PagesHookInput) => AsyncIterable<Page>>
  /** HTTP routes the source serves itself (the Demo sample API). */
  routes?: SourceRoutes
}

export interface RestSourceOptions {
  /** Folder of the definition's files (its icon): the module's `new URL('.', import.meta.url)` or a manifest folder. */
  baseDir?: URL
}

/** What references resolve against: the config and the service's own origin. */
interface Scope { config: AnyConfig, serviceOrigin: string }

/** Where a service on the default HOST/PORT listens; used when a caller gives no origin (direct source calls). */
export const DEFAULT_SERVICE_ORIGIN = 'http://127.0.0.1:8000'

function isEmpty (value: unknown): boolean {
  return value === undefined || value === null || value === ''
}

function fillTemplate (template: string, scope: Scope): string | undefined {
  let missing = false
  const text = template.replace(/\{([A-Za-z0-9_.]+)\}/g, (_, name: string) => {
    const value = name === 'service_origin' ? scope.serviceOrigin : getPath(scope.config, name)
    if (isEmpty(value)) missing = true
    return isEmpty(value) ? '' : String(value)
  })
  return missing ? undefined : text
}

/** An `{ expression }` reference's value for one config (compiled once per distinct source text). */
function evaluateExpression (value: ExpressionRef, scope: Scope): unknown {
  const result = compiledTemplate(value.expression).evaluate({ ...value.variables, config: scope.config })
  return isEmpty(result) ? undefined : result
}

function resolveText (value: TextValue, scope: Scope): string | undefined {
  if (typeof value === 'string') return value
  if ('template' in value) return fillTemplate(value.template, scope)
  if ('expression' in value) {
    const result = evaluateExpression(value, scope)
    return result === undefined ? undefined : interpolatedText(result)
  }
  const found = getPath(scope.config, value.field)
  if (!isEmpty(found)) return String(found)
  return value.default === undefined || value.default === null ? undefined : String(value.default)
}

function resolveParam (value: ParamRef, scope: Scope): Params[string] {
  if (value === null || typeof value !== 'object') return value
  if ('template' in value) return fillTemplate(value.template, scope) ?? null
  if ('expression' in value) {
    const result = evaluateExpression(value, scope)
    return result === undefined ? null : typeof result === 'number' || typeof result === 'boolean' ? result : interpolatedText(result)
  }
  const found = getPath(scope.config, value.field)
  if (!isEmpty(found)) return typeof found === 'number' || typeof found === 'boolean' ? found : String(found)
  return value.default ?? null
}

function resolveRecord<V, R> (record: Record<string, V> | undefined, resolve: (value: V) => R | undefined): Record<string, R> | undefined {
  if (record === undefined) return undefined
  const out: Record<string, R> = {}
  for (const [key, value] of Object.entries(record)) {
    const resolved = resolve(value)
    if (resolved !== undefined && resolved !== null) out[key] = resolved
  }
  return out
}

function resolveAuth (auth: AuthDecl, scope: Scope): AuthConfig {
  const text = (value: TextValue): string => resolveText(value, scope) ?? ''
  switch (auth.type) {
    case 'none': return auth
    case 'bearer': return { type: 'bearer', token: text(auth.token) }
    case 'api_key': return { ...auth, key: text(auth.key) }
    case 'basic': return { type: 'basic', username: text(auth.username), password: text(auth.password) }
    case 'oauth2_refresh_token':
      return {
        type: auth.type,
        tokenUrl: text(auth.tokenUrl),
        clientId: text(auth.clientId),
        clientSecret: text(auth.clientSecret),
        refreshToken: text(auth.refreshToken),
        ...(auth.scopes === undefined ? {} : { scopes: [...auth.scopes] })
      }
    case 'oauth2_client_credentials':
      return {
        type: auth.type,
        tokenUrl: text(auth.tokenUrl),
        clientId: text(auth.clientId),
        clientSecret: text(auth.clientSecret),
        ...(auth.scopes === undefined ? {} : { scopes: [...auth.scopes] })
      }
  }
}

/** Budgets for one config: a reservoir taken from a form field becomes that number (empty: the reference's default). */
export function resolveBudgets (budgets: Readonly<Record<string, Readonly<BudgetDecl> | ReadonlyArray<Readonly<BudgetDecl>>>>, config: AnyConfig): Record<string, RateBudgetEntry> {
  const resolve = ({ reservoir, ...rest }: Readonly<BudgetDecl>): RateBudget => {
    if (reservoir === undefined || typeof reservoir === 'number') return { ...rest, ...(reservoir === undefined ? {} : { reservoir }) }
    const found = getPath(config, reservoir.field)
    const value = Number(isEmpty(found) ? reservoir.default : found)
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new ValidationError([{ path: `/config/${reservoir.field.replaceAll('.', '/')}`, message: 'must be a whole number of requests, at least 1' }])
    }
    return { ...rest, reservoir: value }
  }
  const out: Record<string, RateBudgetEntry> = {}
  for (const [name, entry] of Object.entries(budgets)) out[name] = Array.isArray(entry) ? entry.map(resolve) : resolve(entry as Readonly<BudgetDecl>)
  return out
}

/** `top` over `base`: params and headers merge key by key (top wins), response actions are top's first, the rest is replaced. */
function overlay<B extends EndpointDefaults, T extends EndpointDefaults> (base: B, top: T): B & T {
  return {
    ...base,
    ...top,
    ...(base.params === undefined && top.params === undefined ? {} : { params: { ...base.params, ...top.params } }),
    ...(base.headers === undefined && top.headers === undefined ? {} : { headers: { ...base.headers, ...top.headers } }),
    ...(base.responseActions === undefined || top.responseActions === undefined
      ? {}
      : { responseActions: [...top.responseActions, ...base.responseActions] })
  }
}

/** An endpoint with the definition's defaults applied (refs still unresolved). */
function withDefaults (definition: SourceDefinition, endpoint: DefinitionEndpoint): DefinitionEndpoint {
  return overlay(definition.defaults ?? {}, endpoint)
}

function variantApplies (variant: EndpointVariant, config: AnyConfig): boolean {
  const value = getPath(config, variant.when.field)
  const wanted: readonly string[] = typeof variant.when.is === 'string' ? [variant.when.is] : variant.when.is
  return !isEmpty(value) && wanted.includes(String(value))
}

/** The endpoint for one config: defaults, the endpoint, then each variant whose `when` the config meets (refs still unresolved). */
function endpointFor (definition: SourceDefinition, endpoint: DefinitionEndpoint, config: AnyConfig): DefinitionEndpoint {
  const { variants, ...own } = withDefaults(definition, endpoint)
  return (variants ?? []).reduce<DefinitionEndpoint>((merged, variant) => {
    if (!variantApplies(variant, config)) return merged
    const { when: _when, ...parts } = variant
    return overlay(merged, parts)
  }, own)
}

/** The engine declaration of an endpoint for one config: client params first, then the endpoint's. */
function materialise (definition: SourceDefinition, endpoint: DefinitionEndpoint, scope: Scope): Endpoint {
  const { fanOut, params, headers, pageSize, ...rest } = endpoint
  const allParams = { ...definition.client.params, ...params }
  const out = { ...rest } as Record<string, unknown>
  if (Object.keys(allParams).length > 0) out.params = resolveRecord(allParams, (v) => resolveParam(v, scope))
  if (headers !== undefined) out.headers = resolveRecord(headers, (v) => resolveText(v, scope))
  if (pageSize !== undefined && pageSize !== null) {
    // A reference to an empty field without a default sends no page size (the API's own default applies).
    const value = typeof pageSize.value === 'number' ? pageSize.value : resolveParam(pageSize.value, scope)
    if (value !== null) out.pageSize = { param: pageSize.param, value: Number(value) }
  }
  if (fanOut !== undefined && fanOut !== null) out.fanOut = fanOut
  return out as Endpoint
}

function fieldNames (fields: readonly FieldDecl[], prefix = ''): string[] {
  return fields.flatMap((field) => {
    const name = prefix + field.name
    if (field.type === 'select') return [name, ...field.options.flatMap((o) => fieldNames(o.fields ?? [], `${name}.`))]
    if (field.type === 'switch-group') return [name, ...fieldNames(field.fields, `${name}.`)]
    return [name]
  })
}

/** A variant's `when` must name a form field and, for a select, values among its options. */
function variantProblems (fields: readonly FieldDecl[], variant: EndpointVariant, pointer: string): string[] {
  const field = findField(fields, variant.when.field)
  if (field === undefined) return [`${pointer}/field: no form field "${variant.when.field}"`]
  if (field.type !== 'select') return []
  const options = new Set(field.options.map((o) => o.value))
  const wanted: readonly string[] = typeof variant.when.is === 'string' ? [variant.when.is] : variant.when.is
  return wanted.filter((value) => !options.has(value)).map((value) => `${pointer}/is: "${value}" is not an option of select "${field.name}"`)
}

function findField (fields: readonly FieldDecl[], dotted: string): FieldDecl | undefined {
  const [head, ...rest] = dotted.split('.')
  const field = fields.find((f) => f.name === head)
  if (field === undefined || rest.length === 0) return field
  const nested = field.type === 'select' ? field.options.flatMap((o) => o.fields ?? []) : field.type === 'switch-group' ? field.fields : []
  return findField(nested, rest.join('.'))
}

/** References between parts of a definition that the schema cannot see. */
function crossReferenceProblems (definition: SourceDefinition): string[] {
  const problems: string[] = []
  const fields = new Set(fieldNames(definition.fields))
  const endpointNames = new Set(definition.endpoints.map((e) => e.name))
  const parents = definition.parents ?? {}
  const refs: Array<{ pointer: string, value: unknown }> = []
  const collect = (pointer: string, value: unknown): void => {
    if (value === null || typeof value !== 'object') return
    if (Array.isArray(value)) { value.forEach((v, i) => { collect(`${pointer}/${i}`, v) }); return }
    const record = value as Record<string, unknown>
    if (typeof record.field === 'string' && Object.keys(record).every((k) => k === 'field' || k === 'default')) refs.push({ pointer, value: record.field })
    if (typeof record.expression === 'string' && Object.keys(record).every((k) => k === 'expression' || k === 'variables')) {
      try { compiledTemplate(record.expression) } catch (error) {
        if (!(error instanceof InterpolationError)) throw error
        problems.push(`${pointer}/expression: ${error.message}`)
      }
      return // variables are data, not references
    }
    if (typeof record.template === 'string' && Object.keys(record).length === 1) {
      for (const match of record.template.matchAll(/\{([A-Za-z0-9_.]+)\}/g)) if (match[1] !== 'service_origin') refs.push({ pointer, value: match[1] })
    }
    for (const [key, child] of Object.entries(record)) collect(`${pointer}/${key}`, child)
  }
  collect('/client', definition.client)
  collect('/check', definition.check)
  definition.endpoints.forEach((endpoint, i) => {
    for (const key of ['params', 'headers', 'pageSize'] as const) collect(`/endpoints/${i}/${key}`, endpoint[key])
    ;(endpoint.variants ?? []).forEach((variant, j) => {
      for (const key of ['params', 'headers', 'pageSize'] as const) collect(`/endpoints/${i}/variants/${j}/${key}`, variant[key])
      problems.push(...variantProblems(definition.fields, variant, `/endpoints/${i}/variants/${j}/when`))
      const parent = variant.fanOut?.parent
      if (parent !== undefined && !endpointNames.has(parent) && parents[parent] === undefined) {
        problems.push(`/endpoints/${i}/variants/${j}/fanOut/parent: "${parent}" is neither a table nor a static parent list`)
      }
    })
  })
  for (const key of ['params', 'headers', 'pageSize'] as const) collect(`/defaults/${key}`, definition.defaults?.[key])
  for (const match of definition.client.baseUrl.default.matchAll(/\{([A-Za-z0-9_.]+)\}/g)) {
    if (match[1] !== 'service_origin') refs.push({ pointer: '/client/baseUrl/default', value: match[1] })
  }
  for (const ref of refs) if (!fields.has(ref.value as string)) problems.push(`${ref.pointer}: no form field "${String(ref.value)}"`)
  if (definition.client.baseUrl.field !== undefined && !fields.has(definition.client.baseUrl.field)) {
    problems.push(`/client/baseUrl/field: no form field "${definition.client.baseUrl.field}"`)
  }
  for (const [name, parent] of Object.entries(parents)) {
    if (!fields.has(parent.field)) problems.push(`/parents/${name}/field: no form field "${parent.field}"`)
    if (endpointNames.has(name)) problems.push(`/parents/${name}: a static parent list cannot share its name with a table`)
  }
  definition.endpoints.forEach((endpoint, i) => {
    const parent = withDefaults(definition, endpoint).fanOut?.parent
    if (parent !== undefined && !endpointNames.has(parent) && parents[parent] === undefined) {
      problems.push(`/endpoints/${i}/fanOut/parent: "${parent}" is neither a table nor a static parent list`)
    }
  })
  for (const [i, rule] of (definition.errors ?? []).entries()) {
    if (rule.vendorPattern === undefined) continue
    try { new RegExp(rule.vendorPattern, 'i') } catch { problems.push(`/errors/${i}/vendorPattern: not a regular expression`) }
  }
  definition.check.steps.forEach((step, i) => {
    if (step.forEachParent !== undefined && parents[step.forEachParent] === undefined) {
      problems.push(`/check/steps/${i}/forEachParent: no static parent list "${step.forEachParent}"`)
    }
    if (step.fromPrevious !== undefined && i === 0) problems.push(`/check/steps/0/fromPrevious: the first step has no previous step`)
  })
  for (const [i, table] of (definition.suggestedTables ?? []).entries()) {
    if (!endpointNames.has(table.table)) problems.push(`/suggestedTables/${i}/table: no table "${table.table}"`)
  }
  return problems
}

/** Check a definition (a parsed JSON/YAML value or a literal); throws DefinitionError with every problem. */
export function checkDefinition (value: unknown, where?: string): SourceDefinition {
  const schema = definitionSchemaProblems(value)
  if (schema.length > 0) throw new DefinitionError(schema, where)
  const definition = value as SourceDefinition
  const problems = crossReferenceProblems(definition)
  try { assertFieldDecls(definition.fields) } catch (error) { problems.push(`/fields: ${(error as Error).message}`) }
  if (problems.length === 0) {
    // The engine's own checks on every endpoint, with references at their defaults or stand-ins.
    const config = standInConfig(definition.fields)
    const scope: Scope = { config, serviceOrigin: DEFAULT_SERVICE_ORIGIN }
    try {
      defineEndpoints(definition.endpoints.map((e) => materialise(definition, endpointFor(definition, e, config), scope)))
      // Each variant, with its condition met (a config choosing it).
      for (const endpoint of definition.endpoints) {
        for (const variant of endpoint.variants ?? []) {
          const chosen = { ...config, [variant.when.field]: typeof variant.when.is === 'string' ? variant.when.is : variant.when.is[0] }
          defineEndpoints([materialise(definition, endpointFor(definition, endpoint, chosen), { ...scope, config: chosen })])
        }
      }
    } catch (error) {
      problems.push(...(error as Error).message.split('\n').slice(1).map((line) => `/endpoints/${line}`))
    }
  }
  if (problems.length > 0) throw new DefinitionError(problems, where)
  return definition
}

/** A config with a plausible value in every field, to check endpoints whose values come from it. */
function standInConfig (fields: readonly FieldDecl[]): AnyConfig {
  const config: AnyConfig = {}
  for (const field of fields) {
    if (field.type === 'number') config[field.name] = 1
    else if (field.type === 'select') config[field.name] = field.defaultValue
    else if (field.type === 'switch-group') config[field.name] = { enabled: false }
    else config[field.name] = 'x'
  }
  return config
}

/** `AcmeWidgets` → `acme-widgets` (the folder and icon name of a source). */
export function kebabCase (name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase()
}

function loadIcon (baseDir: URL | undefined, file: string): string {
  if (baseDir === undefined) return ''
  // Beside the module (src/, or dist/ as staged by scripts/stage-runtime.sh), else from the source tree.
  const candidates = [new URL(file, baseDir), new URL(file, baseDir.href.replace('/dist/', '/src/'))]
  for (const candidate of candidates) if (existsSync(candidate)) return readFileSync(candidate, 'utf8')
  return ''
}

/** The parent rows of a static parent list, from the config. */
export function parentRows (definition: SourceDefinition, name: string, config: AnyConfig): Row[] {
  const decl = definition.parents?.[name]
  if (decl === undefined) return []
  const raw = getPath(config, decl.field)
  const items = (typeof raw === 'string' ? raw.split(/[\s,]+/) : Array.isArray(raw) ? raw : []).filter((v) => !isEmpty(v))
  const rows: Row[] = []
  const seen = new Set<string>()
  for (const item of items) {
    const row = typeof item === 'object' ? item as Row : { [decl.key]: item }
    const key = String(getPath(row, decl.key)).toLowerCase()
    if (seen.has(key)) continue
    seen.add(key)
    rows.push(row)
  }
  const path = `/config/${decl.field.replaceAll('.', '/')}`
  if (rows.length === 0) throw new ValidationError([{ path, message: 'must list at least one item' }])
  if (decl.maxItems !== undefined && rows.length > decl.maxItems) {
    throw new ValidationError([{ path, message: `lists ${rows.length} items; at most ${decl.maxItems} are allowed in one source (create another source for more)` }])
  }
  return rows
}

async function * transformed (pages: AsyncIterable<Page>, transform: (row: Row) => Row): AsyncIterable<Page> {
  for await (const page of pages) yield { ...page, rows: page.rows.map(transform) }
}

/**
 * A Source from a definition and hooks. The definition is checked at once (a bad one throws
 * DefinitionError naming each problem's JSON pointer); `as const` definitions keep their literal
 * field types, so the config type derives from the form.
 */
export interface RestSource<Fs extends readonly FieldDecl[]> extends Source<Fs> {
  readonly definition: SourceDefinition
  /** Engine declarations of every table, defaults applied (config references at their defaults). */
  readonly endpoints: readonly Endpoint[]
  /** The client options a config gets (after normaliseConfig and the clientOptions hook). */
  clientOptionsFor (config: ConfigOf<Fs>, ctx: SourceContext): ClientOptions
  /** The engine declarations for a config (references resolved). */
  endpointsFor (config: ConfigOf<Fs>, ctx: SourceContext): Endpoint[]
}

export function defineRestSource<const D extends SourceDefinition> (input: D, hooks: SourceHooks = {}, options: RestSourceOptions = {}): RestSource<D['fields']> {
  const definition = checkDefinition(input, `definition of source "${String((input as { name?: unknown }).name)}"`)
  const staticCatalog = defineEndpoints(definition.endpoints.map((e) => materialise(definition, endpointFor(definition, e, {}), { config: {}, serviceOrigin: DEFAULT_SERVICE_ORIGIN })))
  const fields = definition.fields as unknown as D['fields']
  const iconFile = `${kebabCase(definition.name)}.svg`
  const icon = definition.icon === undefined ? undefined : loadIcon(options.baseDir, definition.icon)
  const normalise = (config: AnyConfig): AnyConfig => hooks.normaliseConfig?.(config) ?? config
  const scopeOf = (config: AnyConfig, ctx: SourceContext): Scope => ({ config, serviceOrigin: ctx.serviceOrigin ?? DEFAULT_SERVICE_ORIGIN })

  const clientOptions = (config: AnyConfig, ctx: SourceContext): ClientOptions => {
    const scope = scopeOf(config, ctx)
    const client = definition.client
    const typed = client.baseUrl.field === undefined ? undefined : getPath(config, client.baseUrl.field)
    // The definition's parts are deeply readonly; the engine only reads them.
    const baseUrl = chooseBaseUrl(typeof typed === 'string' ? typed : undefined, ctx, fillTemplate(client.baseUrl.default, scope) ?? client.baseUrl.default)
    const options = {
      source: definition.name,
      baseUrl,
      // The base URL's origin, plus the origins the definition declares (e.g. a vendor's uploads host).
      ...(client.allowedOrigins === undefined ? {} : { allowedOrigins: [baseUrl, ...client.allowedOrigins] }),
      auth: resolveAuth(client.auth, scope),
      ...(client.headers === undefined ? {} : { headers: resolveRecord(client.headers, (v) => resolveText(v, scope)) }),
      ...(client.budgets === undefined ? {} : { budgets: resolveBudgets(client.budgets, config) }),
      ...(client.rateLimitHeaders === undefined ? {} : { rateLimitHeaders: client.rateLimitHeaders }),
      ...(client.rateLimitStatuses === undefined ? {} : { rateLimitStatuses: client.rateLimitStatuses }),
      ...(client.retry === undefined ? {} : { retry: client.retry }),
      ...(client.retryHintHeader === undefined ? {} : { retryHintHeader: client.retryHintHeader })
    } as ClientOptions
    const built = hooks.clientOptions?.(options, config, ctx) ?? options
    // The operator's budgets (SOURCE_BUDGETS) win over the definition's and a hook's, class by class.
    return ctx.budgetOverrides === undefined ? built : { ...built, budgets: { ...built.budgets, ...ctx.budgetOverrides } }
  }
  const clientFor = (config: AnyConfig, ctx: SourceContext): RestClient => sourceClient(clientOptions(config, ctx), ctx)
  const catalogFor = (config: AnyConfig, ctx: SourceContext): Endpoint[] =>
    definition.endpoints.map((e) => materialise(definition, endpointFor(definition, e, config), scopeOf(config, ctx)))
  const parentsFor = (config: AnyConfig): Record<string, Row[]> | undefined => {
    const names = Object.keys(definition.parents ?? {})
    if (names.length === 0) return undefined
    return Object.fromEntries(names.map((name) => [name, parentRows(definition, name, config)]))
  }
  const pathParamsFor = (config: AnyConfig, ctx: SourceContext): Record<string, string> | undefined =>
    resolveRecord(definition.client.pathParams, (v) => resolveText(v, scopeOf(config, ctx)))

  const source: RestSource<D['fields']> = {
    name: definition.name,
    fields,
    definition,
    endpoints: staticCatalog,
    clientOptionsFor: (config, ctx) => clientOptions(normalise(config as AnyConfig), ctx),
    endpointsFor: (config, ctx) => catalogFor(normalise(config as AnyConfig), ctx),
    getSourceConfig: () => ({
      name: definition.name,
      label: definition.label,
      ...(definition.caption === undefined ? {} : { caption: definition.caption }),
      category: definition.category,
      ...(definition.icon === undefined ? {} : { iconPath: `/static/services/${iconFile}` }),
      ...(definition.docsUrl === undefined ? {} : { docsUrl: definition.docsUrl }),
      ...(definition.releaseStatus === undefined ? {} : { releaseStatus: definition.releaseStatus }),
      ...(definition.betaSource === undefined ? {} : { betaSource: definition.betaSource }),
      ...(definition.unreleasedSource === undefined ? {} : { unreleasedSource: definition.unreleasedSource }),
      ...(definition.keywords === undefined ? {} : { keywords: [...definition.keywords] }),
      ...(definition.permissionsCaption === undefined ? {} : { permissionsCaption: definition.permissionsCaption }),
      ...(definition.suggestedTables === undefined ? {} : { suggestedTables: definition.suggestedTables.map((t) => ({ ...t })) }),
      fields: structuredClone(definition.fields) as SourceConfig['fields']
    }),
    validateCredentials: async (config, ctx) => {
      const cfg = normalise(config as AnyConfig)
      parentsFor(cfg) // an unusable parent list is a 400 before any request
      const client = clientFor(cfg, ctx)
      if (hooks.checkCredentials !== undefined) return await hooks.checkCredentials(client, cfg, ctx)
      return await runCheck(definition.check, {
        client,
        baseUrl: clientOptions(cfg, ctx).baseUrl,
        parents: (name) => ({ key: definition.parents?.[name]?.key ?? '', rows: parentRows(definition, name, cfg) }),
        resolveParams: (params) => resolveRecord(params, (v) => resolveParam(v, scopeOf(cfg, ctx))) ?? {},
        resolveHeaders: (headers) => resolveRecord(headers, (v) => resolveText(v, scopeOf(cfg, ctx))) ?? {},
        pathParams: pathParamsFor(cfg, ctx) ?? {}
      })
    },
    getSchemas: async (config, ctx) => {
      if (config === null) return schemasFromEndpoints(staticCatalog)
      const cfg = normalise(config as AnyConfig)
      parentsFor(cfg) // an unusable parent list is reported here too
      // The config's own declarations: a variant may change a table's incremental fields.
      return schemasFromEndpoints(catalogFor(cfg, ctx))
    },
    sourceForPipeline: async (config, inputs, ctx) => {
      const cfg = normalise(config as AnyConfig)
      const catalog = catalogFor(cfg, ctx)
      const endpoint = findEndpoint(catalog, inputs.schema, definition.name)
      const field = checkPipelineInputs(endpoint, inputs)
      const parents = parentsFor(cfg)
      const pathParams = pathParamsFor(cfg, ctx)
      const pagesOptions: PagesOptions = {
        catalog,
        ...(parents === undefined ? {} : { parents }),
        ...(pathParams === undefined ? {} : { pathParams }),
        ...(field === null ? {} : { incremental: { field: field.field, lastValue: inputs.lastValue, earliestValue: inputs.earliestValue } }),
        ...(inputs.resumeState === undefined || inputs.resumeState === null ? {} : { resumeState: inputs.resumeState }),
        ...(inputs.maxPages === undefined ? {} : { maxPages: inputs.maxPages })
      }
      const transform = hooks.transformRow?.[endpoint.name]
      // A row transform reads every row as an object: text pages would only be parsed later.
      if (inputs.rowsAsText === true && transform === undefined) pagesOptions.rowsAsText = true
      const client = clientFor(cfg, ctx)
      const custom = hooks.pages?.[endpoint.name]
      const pages = custom === undefined
        ? client.pages(endpoint, pagesOptions)
        : custom({ client, endpoint, catalog, config: cfg, inputs, options: pagesOptions, ctx })
      return { name: endpoint.name, pages: transform === undefined ? pages : transformed(pages, transform), ...responseMetadata(endpoint) }
    },
    errorRules: definition.errors ?? [],
    ...(definition.client.baseUrl.field === undefined ? {} : { baseUrlField: definition.client.baseUrl.field }),
    ...(icon === undefined ? {} : { assets: { [iconFile]: { contentType: 'image/svg+xml', body: icon } } }),
    ...(hooks.routes === undefined ? {} : { routes: hooks.routes })
  }
  return source
}

/** The config type of a definition's form. */
export type DefinitionConfig<D extends SourceDefinition> = ConfigOf<D['fields']>
