/**
 * The source definition format: everything a REST source is, as JSON-serialisable data, checked by one
 * TypeBox schema in which every object is closed (a typo is a load error naming its JSON pointer).
 * `defineRestSource()` (rest-source.ts) turns a definition plus optional hooks into a Source.
 *
 * Values that come from the user's config are references, never copies:
 *   - `{ "field": "api_key" }` — the value of a form field (dotted for nested fields), with an optional `default`;
 *   - `{ "template": "Klaviyo-API-Key {api_key}" }` — text with `{field}` placeholders; `{service_origin}` is
 *     the origin this service listens on (built-in sources only, e.g. the Demo sample API);
 *   - `{ "expression": "{{ config['region'] ~ '-' ~ now_utc().strftime('%Y') }}" }` — an interpolated template
 *     over the config (what Airbyte manifests translate to when a plain reference cannot say it).
 * A reference to an empty or absent value drops the header or param it fills (an optional `Stripe-Account`).
 */
import Type, { type Static } from 'typebox'
import { Compile } from 'typebox/compile'
import {
  FanOutSchema, IncrementalFieldSchema, TimeWindowsSchema, PageSizeSchema, PaginatorSchema, ParamValueSchema, PartitionFormatSchema,
  PartitionModeSchema, ResponseActionSchema, RowFlattenSchema, SortModeSchema
} from '../engine/declarations.js'
import { RateBudgetSchema, RateLimitHeadersSchema, RetryOptionsSchema, ScopesSchema } from '../engine/client-options.js'
import { schemaProblems } from '../engine/schema-problems.js'
import { FieldSchema, ReleaseStatusSchema, type DeepReadonly } from './fields.js'

const strict = { additionalProperties: false } as const


// ---------------------------------------------------------------------------------------------
// References to config values
// ---------------------------------------------------------------------------------------------

export const FieldRefSchema = Type.Object({
  /** Name of a form field; dotted for a field nested in a select option or switch group. */
  field: Type.String({ minLength: 1 }),
  /** Used when the field is empty or absent. */
  default: Type.Optional(ParamValueSchema)
}, { ...strict, title: 'FieldRef' })
export type FieldRef = DeepReadonly<Static<typeof FieldRefSchema>>

export const TemplateRefSchema = Type.Object({
  /** Text with `{field}` placeholders (and `{service_origin}`). */
  template: Type.String({ minLength: 1 })
}, { ...strict, title: 'TemplateRef' })
export type TemplateRef = DeepReadonly<Static<typeof TemplateRefSchema>>

export const ExpressionRefSchema = Type.Object({
  /**
   * An interpolated `{{ … }}` template (the Airbyte expression subset, engine/interpolation) over
   * `config` and `variables`, compiled when the definition loads and evaluated once per request.
   * An empty result drops the header or param it fills.
   */
  expression: Type.String({ minLength: 1 }),
  variables: Type.Optional(Type.Record(Type.String(), Type.Unknown()))
}, { ...strict, title: 'ExpressionRef' })
export type ExpressionRef = Static<typeof ExpressionRefSchema>

/** A string: literal, or taken from the config. */
export const TextValueSchema = Type.Union([Type.String(), FieldRefSchema, TemplateRefSchema, ExpressionRefSchema])
export type TextValue = DeepReadonly<Static<typeof TextValueSchema>>

/** A query param value: literal (null drops it), or taken from the config. */
export const ParamRefSchema = Type.Union([ParamValueSchema, FieldRefSchema, TemplateRefSchema, ExpressionRefSchema])
export type ParamRef = DeepReadonly<Static<typeof ParamRefSchema>>

// ---------------------------------------------------------------------------------------------
// Client: base URL, auth, headers, budgets
// ---------------------------------------------------------------------------------------------

export const AuthDeclSchema = Type.Union([
  Type.Object({ type: Type.Literal('none') }, strict),
  Type.Object({ type: Type.Literal('bearer'), token: TextValueSchema }, strict),
  Type.Object({
    type: Type.Literal('api_key'),
    /** Header name (or query param name with `in: "query"`). */
    name: Type.String(),
    key: TextValueSchema,
    in: Type.Optional(Type.Union([Type.Literal('header'), Type.Literal('query')])),
    /** Put before the key in the header, e.g. `Klaviyo-API-Key`. */
    scheme: Type.Optional(Type.String())
  }, strict),
  Type.Object({ type: Type.Literal('basic'), username: TextValueSchema, password: TextValueSchema }, strict),
  Type.Object({
    type: Type.Literal('oauth2_refresh_token'),
    tokenUrl: TextValueSchema,
    clientId: TextValueSchema,
    clientSecret: TextValueSchema,
    refreshToken: TextValueSchema,
    scopes: Type.Optional(ScopesSchema)
  }, strict),
  Type.Object({
    type: Type.Literal('oauth2_client_credentials'),
    tokenUrl: TextValueSchema,
    clientId: TextValueSchema,
    clientSecret: TextValueSchema,
    scopes: Type.Optional(ScopesSchema)
  }, strict)
], { title: 'AuthDecl' })
export type AuthDecl = DeepReadonly<Static<typeof AuthDeclSchema>>

/**
 * A rate budget whose request count may come from the form (a number or select field; empty → its
 * `default`), for vendors whose limit depends on the account (Stripe: 25/s in test mode, 100/s live).
 */
export const BudgetDeclSchema = Type.Object({
  ...RateBudgetSchema.properties,
  reservoir: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), FieldRefSchema]))
}, { ...strict, title: 'BudgetDecl' })
export type BudgetDecl = Static<typeof BudgetDeclSchema>

export const ClientDeclSchema = Type.Object({
  baseUrl: Type.Object({
    /** The vendor's API root, e.g. `https://api.github.com`. The operator's UPSTREAM_BASE_URLS replaces it. */
    default: Type.String({ minLength: 1 }),
    /** A form field whose value, when given, wins over both (GitHub Enterprise Server, EU regions). */
    field: Type.Optional(Type.String())
  }, strict),
  /** Origins (scheme://host[:port]) besides the base URL's that requests carrying the credential may reach. */
  allowedOrigins: Type.Optional(Type.Array(Type.String())),
  auth: AuthDeclSchema,
  /** Headers on every request; a reference to an empty value drops the header. */
  headers: Type.Optional(Type.Record(Type.String(), TextValueSchema)),
  /** Values for `{placeholders}` in endpoint paths, e.g. `{ "organization": { "field": "organization_slug" } }`. */
  pathParams: Type.Optional(Type.Record(Type.String(), TextValueSchema)),
  /** Query params on every endpoint request (endpoint params win). */
  params: Type.Optional(Type.Record(Type.String(), ParamRefSchema)),
  /**
   * Budgets by rate-limit class: one window, or a list of windows that all apply (a burst and a steady
   * window); `default` applies to endpoints without a `rateLimitClass`. A window's reservoir may come
   * from a form field.
   */
  budgets: Type.Optional(Type.Record(Type.String(), Type.Union([BudgetDeclSchema, Type.Array(BudgetDeclSchema, { minItems: 1, maxItems: 4 })]))),
  rateLimitHeaders: Type.Optional(RateLimitHeadersSchema),
  /** Statuses besides 429 that mean "rate limited" when the remaining header says 0 (GitHub: 403). */
  rateLimitStatuses: Type.Optional(Type.Array(Type.Integer({ minimum: 400, maximum: 599 }))),
  retry: Type.Optional(RetryOptionsSchema),
  /** Response header with the vendor's per-response retry hint (`Stripe-Should-Retry`); see engine README. */
  retryHintHeader: Type.Optional(Type.String({ minLength: 1 }))
}, { ...strict, title: 'ClientDecl' })
export type ClientDecl = DeepReadonly<Static<typeof ClientDeclSchema>>

// ---------------------------------------------------------------------------------------------
// Endpoints: the engine's declaration, with config references where values vary per config
// ---------------------------------------------------------------------------------------------

const EndpointParts = {
  label: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  path: Type.Optional(Type.String()),
  method: Type.Optional(Type.Union([Type.Literal('GET'), Type.Literal('POST')])),
  params: Type.Optional(Type.Record(Type.String(), ParamRefSchema)),
  json: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  headers: Type.Optional(Type.Record(Type.String(), TextValueSchema)),
  dataSelector: Type.Optional(Type.String()),
  dataSelectorRequired: Type.Optional(Type.Boolean()),
  flatten: Type.Optional(RowFlattenSchema),
  paginator: Type.Optional(PaginatorSchema),
  /** `null` opts an endpoint out of the defaults' page size (a single-object endpoint). */
  pageSize: Type.Optional(Type.Union([PageSizeSchema, Type.Object({ param: Type.String(), value: FieldRefSchema }, strict), Type.Null()])),
  firstPageOnlyParams: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  stopOnShortPage: Type.Optional(Type.Boolean()),
  incrementalFields: Type.Optional(Type.Array(IncrementalFieldSchema)),
  timeWindows: Type.Optional(TimeWindowsSchema),
  supportsAppend: Type.Optional(Type.Boolean()),
  primaryKeys: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
  partitionKey: Type.Optional(Type.String()),
  partitionMode: Type.Optional(PartitionModeSchema),
  partitionFormat: Type.Optional(PartitionFormatSchema),
  partitionSize: Type.Optional(Type.Integer({ minimum: 1 })),
  sortMode: Type.Optional(SortModeSchema),
  pageCap: Type.Optional(Type.Integer({ minimum: 1 })),
  responseActions: Type.Optional(Type.Array(ResponseActionSchema)),
  /** `null` opts an endpoint out of the defaults' fan-out. */
  fanOut: Type.Optional(Type.Union([FanOutSchema, Type.Null()])),
  rateLimitClass: Type.Optional(Type.String()),
  addFields: Type.Optional(Type.Record(Type.String(), Type.String())),
  removeFields: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  shouldSyncDefault: Type.Optional(Type.Boolean())
}

/**
 * Keys every endpoint inherits unless it sets them. `params` and `headers` merge key by key (the
 * endpoint wins); `responseActions` are the endpoint's first, then the defaults'; anything else is
 * replaced whole by the endpoint's value.
 */
export const EndpointDefaultsSchema = Type.Object(EndpointParts, { ...strict, title: 'EndpointDefaults' })
export type EndpointDefaults = DeepReadonly<Static<typeof EndpointDefaultsSchema>>

/**
 * Endpoint keys for configs where a form choice changes what the API answers (Typeform: with partial
 * responses included, since/until filter on landed_at instead of submitted_at). A variant applies when
 * the config's `when.field` is one of `when.is`; matching variants apply in order over the endpoint,
 * merged as the endpoint is over the defaults. Table lists and syncs for that config see the result.
 */
export const EndpointVariantSchema = Type.Object({
  when: Type.Object({
    /** A form field (dotted for a nested one). */
    field: Type.String({ minLength: 1 }),
    is: Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })])
  }, strict),
  ...EndpointParts
}, { ...strict, title: 'EndpointVariant' })
export type EndpointVariant = DeepReadonly<Static<typeof EndpointVariantSchema>>

export const DefinitionEndpointSchema = Type.Object({
  /** Table name (snake_case). */
  name: Type.String({ pattern: '^[a-z][a-z0-9_]*$' }),
  ...EndpointParts,
  variants: Type.Optional(Type.Array(EndpointVariantSchema))
}, { ...strict, title: 'DefinitionEndpoint' })
export type DefinitionEndpoint = DeepReadonly<Static<typeof DefinitionEndpointSchema>>

/**
 * A static parent list built from a form field: each item of the field's value (a list, or a string
 * split on commas, spaces and new lines; duplicates dropped) becomes a parent row `{ [key]: item }`.
 * Object items (from a normaliseConfig hook) are used as rows as they are.
 */
export const ParentListSchema = Type.Object({
  field: Type.String(),
  key: Type.String(),
  /** At most this many items; more is a 400 naming the field. */
  maxItems: Type.Optional(Type.Integer({ minimum: 1 }))
}, { ...strict, title: 'ParentList' })
export type ParentList = DeepReadonly<Static<typeof ParentListSchema>>

// ---------------------------------------------------------------------------------------------
// Credential check and error rules
// ---------------------------------------------------------------------------------------------

/**
 * What a check answer means for the user. Matches a status (or any failure with neither), optionally
 * only when the vendor's message contains `vendorMessage`, or a 2xx body of the wrong shape
 * (`unexpectedBody`). `message` may use `{parent}` (the parent key of a per-parent step) and `{base_url}`.
 */
export const CheckOutcomeSchema = Type.Object({
  status: Type.Optional(Type.Union([Type.Integer(), Type.Array(Type.Integer())])),
  vendorMessage: Type.Optional(Type.String()),
  unexpectedBody: Type.Optional(Type.Boolean()),
  code: Type.String({ pattern: '^[A-Z][A-Z0-9_]*$' }),
  message: Type.String()
}, { ...strict, title: 'CheckOutcome' })
export type CheckOutcome = DeepReadonly<Static<typeof CheckOutcomeSchema>>

export const CheckStepSchema = Type.Object({
  path: Type.String(),
  method: Type.Optional(Type.Union([Type.Literal('GET'), Type.Literal('POST')])),
  params: Type.Optional(Type.Record(Type.String(), ParamRefSchema)),
  headers: Type.Optional(Type.Record(Type.String(), TextValueSchema)),
  /** Body path of the rows; with `expect`, what a 2xx body must hold there. */
  dataSelector: Type.Optional(Type.String()),
  expect: Type.Optional(Type.Union([Type.Literal('list'), Type.Literal('object')])),
  /** Run once per parent of this static parent list (its key fills the path placeholder of the same name). */
  forEachParent: Type.Optional(Type.String()),
  concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })),
  /**
   * Take a value from the previous step's body (`path`) into the placeholder `as`; when the previous
   * body has none (no form exists yet), this step is skipped.
   */
  fromPrevious: Type.Optional(Type.Object({ path: Type.String(), as: Type.String() }, strict)),
  /** Looked at before the check's own outcomes. */
  outcomes: Type.Optional(Type.Array(CheckOutcomeSchema))
}, { ...strict, title: 'CheckStep' })
export type CheckStep = DeepReadonly<Static<typeof CheckStepSchema>>

export const CheckSchema = Type.Object({
  steps: Type.Array(CheckStepSchema, { minItems: 1 }),
  outcomes: Type.Optional(Type.Array(CheckOutcomeSchema))
}, { ...strict, title: 'CredentialCheckDecl' })
export type CheckDecl = DeepReadonly<Static<typeof CheckSchema>>

/**
 * How a failure is told to the user and whether a sync runner should retry it. Matched on the error's
 * stable `code` and upstream `status`, plus (where a vendor needs it) a substring of the vendor's own
 * message; the first rule that matches wins. `message: null` keeps the engine's message; in a message,
 * `{error}` stands for it and `{path}` for the upstream path that failed (e.g. `/v1/charges`: the resource a
 * key may not read).
 */
export const ErrorRuleSchema = Type.Object({
  code: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
  status: Type.Optional(Type.Union([Type.Integer(), Type.Array(Type.Integer())])),
  vendorMessage: Type.Optional(Type.String()),
  /**
   * A regular expression (case-insensitive) the vendor's message must match; its first group, which
   * may only hold letters, digits, `_`, `.`, `:` and `-`, fills `{match}` in the message — a permission
   * name such as Stripe's `rak_charge_read`, never the vendor's free text.
   */
  vendorPattern: Type.Optional(Type.String({ minLength: 1 })),
  message: Type.Union([Type.String(), Type.Null()]),
  /** Default false: a rule names a permanent failure. */
  retryable: Type.Optional(Type.Boolean())
}, { ...strict, title: 'ErrorRule' })
export type ErrorRule = DeepReadonly<Static<typeof ErrorRuleSchema>>

// ---------------------------------------------------------------------------------------------
// The definition
// ---------------------------------------------------------------------------------------------

export const SourceDefinitionSchema = Type.Object({
  $schema: Type.Optional(Type.String()),
  /** PascalCase source type, e.g. "Github". */
  name: Type.String({ pattern: '^[A-Z][A-Za-z0-9]*$' }),
  label: Type.String(),
  caption: Type.Optional(Type.String()),
  category: Type.String(),
  docsUrl: Type.Optional(Type.String()),
  /** SVG file beside the definition; served at /static/services/<name in kebab-case>.svg (AcmeWidgets → acme-widgets.svg). */
  icon: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]+\\.svg$' })),
  releaseStatus: Type.Optional(ReleaseStatusSchema),
  betaSource: Type.Optional(Type.Boolean()),
  unreleasedSource: Type.Optional(Type.Boolean()),
  keywords: Type.Optional(Type.Array(Type.String())),
  permissionsCaption: Type.Optional(Type.String()),
  suggestedTables: Type.Optional(Type.Array(Type.Object({ table: Type.String(), tooltip: Type.Optional(Type.String()) }, strict))),
  fields: Type.Array(FieldSchema),
  client: ClientDeclSchema,
  defaults: Type.Optional(EndpointDefaultsSchema),
  endpoints: Type.Array(DefinitionEndpointSchema, { minItems: 1 }),
  parents: Type.Optional(Type.Record(Type.String(), ParentListSchema)),
  check: CheckSchema,
  errors: Type.Optional(Type.Array(ErrorRuleSchema))
}, { ...strict, title: 'SourceDefinition' })
export type SourceDefinition = DeepReadonly<Static<typeof SourceDefinitionSchema>>

const checkDefinition = Compile(SourceDefinitionSchema)

/** Thrown by loadDefinition: every problem, each starting with its JSON pointer. */
export class DefinitionError extends Error {
  constructor (readonly problems: string[], where = 'source definition') {
    super(`Invalid ${where}:\n${problems.join('\n')}`)
    this.name = 'DefinitionError'
  }
}

/** Problems of a value as a source definition (schema only; rest-source.ts adds the cross-reference checks). */
export function definitionSchemaProblems (value: unknown): string[] {
  return schemaProblems(checkDefinition, value)
}
