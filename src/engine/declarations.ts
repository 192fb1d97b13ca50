/**
 * Endpoint declarations: what a source's `settings.ts` says about each endpoint, as data. One TypeBox
 * schema per concept; the static types derive from them. `defineEndpoints()` checks a catalog against
 * the schema at load time, so a bad declaration fails the first test that imports it.
 *
 * Dotted paths (`links.next`, `paging.next.after`) address values in JSON bodies and rows; an empty
 * string or "$" means the body itself.
 */
import Type, { type Static } from 'typebox'
import { Compile } from 'typebox/compile'
import { compiledTemplate, InterpolationError } from './interpolation/index.js'
import { schemaProblems } from './schema-problems.js'

/** Every declaration object is closed: an unknown key (a typo such as `pagecap`) is a load error. */
const strict = { additionalProperties: false } as const

export const ParamValueSchema = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])
export type ParamValue = Static<typeof ParamValueSchema>
/** Query params; null/undefined values are dropped, never sent as strings. */
export const ParamsSchema = Type.Record(Type.String(), ParamValueSchema)
export type Params = Static<typeof ParamsSchema>

// ---------------------------------------------------------------------------------------------
// Paginators. Each is a pure step (request sent + response → next request | null); see paginators/.
// ---------------------------------------------------------------------------------------------

export const SinglePagePaginatorSchema = Type.Object({ type: Type.Literal('single_page') }, strict)

export const LinkHeaderPaginatorSchema = Type.Object({
  type: Type.Literal('link_header'),
  /** Relation to follow; default "next". */
  rel: Type.Optional(Type.String()),
  /** Extra attribute on the next link that means "stop" (Sentry: results="false"). */
  stopWhen: Type.Optional(Type.Object({ attribute: Type.String(), value: Type.String() }, strict)),
  /** Query param of the `rel="last"` link holding the (1-based) last page number (GitHub `page`): the page count, for progress. */
  lastPageParam: Type.Optional(Type.String()),
  /**
   * With `lastPageParam`: when a response's next and last links differ only in that param, and the next
   * link only in that param (one more) from the request, the pages between are known and fetched
   * concurrently (the engine's known-pages window, within the budget), as known page counts are.
   */
  knownPages: Type.Optional(Type.Boolean())
}, strict)

export const NextUrlPaginatorSchema = Type.Object({
  type: Type.Literal('next_url'),
  /** Body path of the next URL (Klaviyo/Zendesk `links.next`). */
  path: Type.String(),
  /** Optional body path of a boolean that must be true to continue (Zendesk `meta.has_more`). */
  hasMorePath: Type.Optional(Type.String()),
  /** Body path of the table's total row count (Stripe `total_count` when asked for), for progress. */
  totalRowsPath: Type.Optional(Type.String())
}, strict)

export const CursorPaginatorSchema = Type.Object({
  type: Type.Literal('cursor'),
  /** Where the next cursor is read: a body path or a response header name. Exactly one. */
  cursorPath: Type.Optional(Type.String()),
  cursorHeader: Type.Optional(Type.String()),
  /** Request param that carries the cursor back. */
  param: Type.String(),
  /** Send the cursor as a query param (default) or as a field of the JSON body. */
  in: Type.Optional(Type.Union([Type.Literal('query'), Type.Literal('json')])),
  /** Optional body path of a boolean that must be true to continue (GraphQL `pageInfo.hasNextPage`). */
  hasMorePath: Type.Optional(Type.String()),
  /** Body path of the table's total row count (Stripe `total_count` when asked for), for progress. */
  totalRowsPath: Type.Optional(Type.String())
}, strict)

export const LastRecordCursorPaginatorSchema = Type.Object({
  type: Type.Literal('last_record_cursor'),
  /** Field of the last row of the page (Stripe `id`, Typeform `token`). */
  recordField: Type.String(),
  /** Request param that carries it (Stripe `starting_after`, Typeform `before`). */
  param: Type.String(),
  /** Optional body path of a boolean that must be true to continue (Stripe `has_more`). */
  hasMorePath: Type.Optional(Type.String()),
  /** Body path of the table's total row count (Stripe `total_count` when asked for), for progress. */
  totalRowsPath: Type.Optional(Type.String())
}, strict)

export const OffsetPaginatorSchema = Type.Object({
  type: Type.Literal('offset'),
  offsetParam: Type.String(),
  limitParam: Type.String(),
  limit: Type.Integer({ minimum: 1 }),
  /** Total row count from a body path or header (also the progress total); without one, a short page stops. */
  totalPath: Type.Optional(Type.String()),
  totalHeader: Type.Optional(Type.String()),
  maxOffset: Type.Optional(Type.Integer({ minimum: 0 }))
}, strict)

export const PageNumberPaginatorSchema = Type.Object({
  type: Type.Literal('page_number'),
  pageParam: Type.String(),
  /** First page number; default 1. */
  basePage: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Body path of the total page count (Typeform `page_count`); lets the engine fetch pages concurrently, and is the progress total. */
  totalPagesPath: Type.Optional(Type.String()),
  /** Body path of the total row count (Typeform `total_items`), for progress. */
  totalRowsPath: Type.Optional(Type.String()),
  maxPage: Type.Optional(Type.Integer({ minimum: 0 }))
}, strict)

/**
 * The next page token is an interpolated `{{ … }}` expression (Airbyte's CursorPagination), compiled
 * once and evaluated once per page against `response` (the body), `headers` (lower-cased, with `link`
 * parsed by rel), `last_record`, `last_page_size`, `next_page_token` (the token just sent) and
 * `variables`. An empty token, or a true `stopCondition`, stops. The token goes back as a query
 * param, a header, a JSON body field, or (`url`) as the next URL itself — which the origin pinning
 * checks like any other URL.
 */
export const ExpressionPaginatorSchema = Type.Object({
  type: Type.Literal('expression'),
  cursorValue: Type.String({ minLength: 1 }),
  stopCondition: Type.Optional(Type.String({ minLength: 1 })),
  inject: Type.Union([Type.Literal('query'), Type.Literal('header'), Type.Literal('json'), Type.Literal('url')]),
  /** Param, header or body field name (not for `url`). */
  param: Type.Optional(Type.String({ minLength: 1 })),
  /** Extra names the expressions read (Airbyte `parameters`). */
  variables: Type.Optional(Type.Record(Type.String(), Type.Unknown()))
}, strict)

export const PaginatorSchema = Type.Union([
  SinglePagePaginatorSchema,
  LinkHeaderPaginatorSchema,
  NextUrlPaginatorSchema,
  CursorPaginatorSchema,
  LastRecordCursorPaginatorSchema,
  OffsetPaginatorSchema,
  PageNumberPaginatorSchema,
  ExpressionPaginatorSchema
])
export type PaginatorDecl = Static<typeof PaginatorSchema>

// ---------------------------------------------------------------------------------------------
// Incremental binding: how stored watermarks become request params.
// ---------------------------------------------------------------------------------------------

export const IncrementalFieldTypeSchema = Type.Union([
  Type.Literal('integer'), Type.Literal('numeric'), Type.Literal('datetime'), Type.Literal('date'), Type.Literal('timestamp')
])
export type IncrementalFieldType = Static<typeof IncrementalFieldTypeSchema>

/**
 * Converters from a watermark to a param value. `template` substitutes `{value}` after formatting
 * the value as ISO-8601 without milliseconds (Klaviyo: `greater-than(updated,{value})`).
 */
export const ValueConverterSchema = Type.Union([
  Type.Literal('iso'),
  Type.Literal('iso_no_millis'),
  Type.Literal('date'),
  Type.Literal('epoch_seconds'),
  Type.Literal('epoch_millis'),
  Type.Literal('raw'),
  Type.Object({ template: Type.String() }, strict),
  /** A strftime format in UTC (`%Y-%m-%dT%H:%M:%SZ`; `%s` epoch seconds, `%ms` epoch milliseconds). */
  Type.Object({ format: Type.String({ minLength: 1 }) }, strict)
])
export type ValueConverter = Static<typeof ValueConverterSchema>

/**
 * Consecutive time windows between the values of `startParam` and `endParam` (as the endpoint sends them,
 * watermark included), `stepSeconds` long; with `granularitySeconds` a window ends one granule before
 * the next starts (both bounds inclusive). Airbyte's `DatetimeBasedCursor.step` / `cursor_granularity`.
 */
export const TimeWindowsSchema = Type.Object({
  startParam: Type.String({ minLength: 1 }),
  endParam: Type.String({ minLength: 1 }),
  stepSeconds: Type.Integer({ minimum: 1 }),
  granularitySeconds: Type.Optional(Type.Integer({ minimum: 0 })),
  /** How the bounds are written (default ISO 8601). */
  converter: Type.Optional(ValueConverterSchema)
}, strict)
export type TimeWindowsDecl = Static<typeof TimeWindowsSchema>

export const IncrementalFieldSchema = Type.Object({
  /** Row field (dotted path) whose max/min are the watermarks, e.g. `updated_at`. */
  field: Type.String(),
  label: Type.Optional(Type.String()),
  type: IncrementalFieldTypeSchema,
  /** Request param that receives `last_value` (e.g. GitHub `since`). Absent: no server-side filter. */
  param: Type.Optional(Type.String()),
  /** Request param that receives `earliest_value` (upper bound for backfills of descending endpoints). */
  earliestParam: Type.Optional(Type.String()),
  /**
   * Request param that receives "now" (the run's start, through the same converter) whenever `param` is
   * sent: closes the window for APIs whose time filter needs both ends (Sentry `start` + `end`). Always
   * later than the value sent in `param`, even when that was capped at now.
   */
  endAtNowParam: Type.Optional(Type.String()),
  converter: Type.Optional(ValueConverterSchema),
  /** Cap a datetime `last_value` at "now" before sending it. Default true. */
  capAtNow: Type.Optional(Type.Boolean()),
  /** Send a datetime `last_value` this many seconds earlier (re-read late updates; Airbyte `lookback_window`). */
  lookbackSeconds: Type.Optional(Type.Integer({ minimum: 0 }))
}, strict)
export type IncrementalFieldDecl = Static<typeof IncrementalFieldSchema>

// ---------------------------------------------------------------------------------------------
// Response actions: a matching response is ignored (no rows), retried, or raised as an error.
// ---------------------------------------------------------------------------------------------

export const ResponseActionSchema = Type.Object({
  status: Type.Optional(Type.Union([Type.Integer(), Type.Array(Type.Integer())])),
  /** Substring of the raw body. */
  content: Type.Optional(Type.String()),
  /** Body path whose value must be one of `jsonValues` (or merely present when `jsonValues` is absent). */
  jsonField: Type.Optional(Type.String()),
  jsonValues: Type.Optional(Type.Array(ParamValueSchema)),
  action: Type.Union([Type.Literal('ignore'), Type.Literal('retry'), Type.Literal('raise')]),
  /** Message for `raise`. */
  message: Type.Optional(Type.String())
}, strict)
export type ResponseAction = Static<typeof ResponseActionSchema>

// ---------------------------------------------------------------------------------------------
// Fan-out: a child endpoint called once per row of a parent.
// ---------------------------------------------------------------------------------------------

export const FanOutSchema = Type.Object({
  /** Name of the parent: another endpoint of the catalog, or a static parent list the source supplies. */
  parent: Type.String(),
  /** Placeholder in the child path filled from each parent row, e.g. `repo` in `/repos/{repo}/issues`. */
  resolveParam: Type.String(),
  /** Field of the parent row (dotted path) that fills it. */
  resolveField: Type.String(),
  /** Where the value goes: the path placeholder `resolveParam` (default), or the query param of that name. */
  resolveIn: Type.Optional(Type.Union([Type.Literal('path'), Type.Literal('query')])),
  /** Parent fields copied onto each child row as `_<parent>_<field>`. */
  includeFromParent: Type.Optional(Type.Array(Type.String())),
  /** Renames applied after inclusion, e.g. `{ "_projects_id": "project_id" }`. */
  renames: Type.Optional(Type.Record(Type.String(), Type.String())),
  /** Params for the parent request in this fan-out (override the parent's own). */
  parentParams: Type.Optional(ParamsSchema),
  /** How many parents are fetched at once; their rows are still emitted parent by parent. Default 4. */
  concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 }))
}, strict)
export type FanOutDecl = Static<typeof FanOutSchema>

export const PageSizeSchema = Type.Object({ param: Type.String(), value: Type.Integer({ minimum: 1 }) }, strict)

export const PartitionModeSchema = Type.Union([Type.Literal('datetime'), Type.Literal('numerical'), Type.Literal('md5')])
export const PartitionFormatSchema = Type.Union([Type.Literal('month'), Type.Literal('week'), Type.Literal('day'), Type.Literal('hour')])
export const SortModeSchema = Type.Union([Type.Literal('asc'), Type.Literal('desc')])

/**
 * Reshaping of wrapped records before anything else reads them (fan-out parents, watermarks, addFields).
 * JSON:API: `{ "hoist": ["attributes"], "relationshipIds": ["relationships"], "omit": ["links"] }`.
 */
export const RowFlattenSchema = Type.Object({
  /** Object fields whose keys move to the top level of the row; a key already at the top level wins. */
  hoist: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  /** JSON:API relationship objects, each relation reduced to its id, its list of ids or null (see row-flatten.ts). */
  relationshipIds: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  /** Top-level fields left out of the row (JSON:API `links`). */
  omit: Type.Optional(Type.Array(Type.String({ minLength: 1 })))
}, strict)
export type RowFlattenDecl = Static<typeof RowFlattenSchema>

export const EndpointSchema = Type.Object({
  /** Table name (snake_case). */
  name: Type.String(),
  label: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  /** Path relative to the base URL, with `{placeholders}`. */
  path: Type.String(),
  method: Type.Optional(Type.Union([Type.Literal('GET'), Type.Literal('POST')])),
  params: Type.Optional(ParamsSchema),
  json: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  /** Body path of the row list; absent means the body is the list (or a single object → one row). */
  dataSelector: Type.Optional(Type.String()),
  /** Fail loudly when the selector is missing from a 2xx body. Default true. */
  dataSelectorRequired: Type.Optional(Type.Boolean()),
  /** Reshape each selected row (JSON:API attributes hoisted, relationships as ids); see RowFlattenSchema. */
  flatten: Type.Optional(RowFlattenSchema),
  paginator: PaginatorSchema,
  /** Page-size param and value sent with every request (e.g. `per_page` = 100). */
  pageSize: Type.Optional(PageSizeSchema),
  /**
   * Query params sent with the first request only: the paginator's next requests drop them, incremental
   * params included (Typeform refuses `since`/`until` together with a `before` token).
   */
  firstPageOnlyParams: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  /**
   * A page with fewer rows than `pageSize` is the last one, for APIs with neither a has-more flag nor a
   * next link (Typeform responses): saves the empty request that would otherwise end the walk.
   */
  stopOnShortPage: Type.Optional(Type.Boolean()),
  /** Incremental fields this table offers; the sync request picks one. Empty/absent: full refresh only. */
  incrementalFields: Type.Optional(Type.Array(IncrementalFieldSchema)),
  /** Read the range between two datetime params as consecutive windows (time-windows.ts). */
  timeWindows: Type.Optional(TimeWindowsSchema),
  supportsAppend: Type.Optional(Type.Boolean()),
  primaryKeys: Type.Array(Type.String(), { minItems: 1 }),
  partitionKey: Type.Optional(Type.String()),
  partitionMode: Type.Optional(PartitionModeSchema),
  partitionFormat: Type.Optional(PartitionFormatSchema),
  partitionSize: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Order of rows in the incremental field; `desc` only where the API cannot return ascending. */
  sortMode: Type.Optional(SortModeSchema),
  /** Hard page cap (per parent, in a fan-out). Reaching it logs a `page_cap_reached` event. */
  pageCap: Type.Optional(Type.Integer({ minimum: 1 })),
  responseActions: Type.Optional(Type.Array(ResponseActionSchema)),
  fanOut: Type.Optional(FanOutSchema),
  /** Rate-limit class (a key into the client's budgets); default: the client's default budget. */
  rateLimitClass: Type.Optional(Type.String()),
  /**
   * Columns added to every row of this table: column name → dotted path in the row (Airbyte's AddFields;
   * GitHub `authored_at` ← `commit.author.date`). A missing value is null. Applied after fan-out decoration.
   */
  addFields: Type.Optional(Type.Record(Type.String(), Type.String())),
  /** Top-level columns dropped from every row, after `addFields` (Airbyte's RemoveFields). */
  removeFields: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  /** Shown in the table list as selected by default. Default true. */
  shouldSyncDefault: Type.Optional(Type.Boolean())
}, strict)
export type Endpoint = Static<typeof EndpointSchema>

const checkEndpoint = Compile(EndpointSchema)

/** Rules the schema cannot express: exactly-one choices and references between fields. */
function semanticProblems (endpoint: Endpoint): string[] {
  const problems: string[] = []
  const p = endpoint.paginator
  if (p.type === 'cursor' && (p.cursorPath === undefined) === (p.cursorHeader === undefined)) {
    problems.push(`${endpoint.name}/paginator: declare exactly one of cursorPath and cursorHeader`)
  }
  if (p.type === 'cursor' && p.in === 'json' && endpoint.method !== 'POST') {
    problems.push(`${endpoint.name}/paginator: a cursor sent in the JSON body needs method POST`)
  }
  if (p.type === 'offset' && p.totalPath !== undefined && p.totalHeader !== undefined) {
    problems.push(`${endpoint.name}/paginator: declare at most one of totalPath and totalHeader`)
  }
  if (endpoint.stopOnShortPage === true && endpoint.pageSize === undefined) {
    problems.push(`${endpoint.name}/stopOnShortPage: needs a pageSize to compare pages with`)
  }
  const fanOut = endpoint.fanOut
  if (fanOut !== undefined && fanOut.resolveIn !== 'query' && !endpoint.path.includes(`{${fanOut.resolveParam}}`)) {
    problems.push(`${endpoint.name}/fanOut/resolveParam: path "${endpoint.path}" has no {${fanOut.resolveParam}} placeholder`)
  }
  if (fanOut !== undefined && fanOut.parent === endpoint.name) problems.push(`${endpoint.name}/fanOut/parent: an endpoint cannot be its own parent`)
  if (p.type === 'link_header' && p.knownPages === true && p.lastPageParam === undefined) {
    problems.push(`${endpoint.name}/paginator/knownPages: needs lastPageParam (the page number the links carry)`)
  }
  if (p.type === 'link_header' && p.knownPages === true && p.stopWhen !== undefined) {
    problems.push(`${endpoint.name}/paginator/knownPages: a stopWhen attribute is read on each next link, which a known run does not ask for`)
  }
  if (p.type === 'expression') {
    if (p.inject !== 'url' && p.param === undefined) problems.push(`${endpoint.name}/paginator/param: required unless inject is "url"`)
    if (p.inject === 'json' && endpoint.method !== 'POST') problems.push(`${endpoint.name}/paginator: a token sent in the JSON body needs method POST`)
    for (const key of ['cursorValue', 'stopCondition'] as const) {
      const source = p[key]
      if (source === undefined) continue
      try { compiledTemplate(source) } catch (error) {
        if (!(error instanceof InterpolationError)) throw error
        problems.push(`${endpoint.name}/paginator/${key}: ${error.message}`)
      }
    }
  }
  for (const field of endpoint.incrementalFields ?? []) {
    if (field.endAtNowParam !== undefined && (field.param === undefined || (field.type !== 'datetime' && field.type !== 'date' && field.type !== 'timestamp'))) {
      problems.push(`${endpoint.name}/incrementalFields/${field.field}: endAtNowParam needs a param and a datetime, date or timestamp field`)
    }
    if (typeof field.converter === 'object' && 'template' in field.converter && !field.converter.template.includes('{value}')) {
      problems.push(`${endpoint.name}/incrementalFields/${field.field}: converter template has no {value}`)
    }
  }
  const windows = endpoint.timeWindows
  if (windows !== undefined) {
    if (windows.startParam === windows.endParam) problems.push(`${endpoint.name}/timeWindows: startParam and endParam must differ`)
    if ((windows.granularitySeconds ?? 0) >= windows.stepSeconds) problems.push(`${endpoint.name}/timeWindows/granularitySeconds: must be shorter than the step`)
    if (typeof windows.converter === 'object' && 'template' in windows.converter) problems.push(`${endpoint.name}/timeWindows/converter: a template cannot be read back; use a format`)
    if (windows.converter === 'raw') problems.push(`${endpoint.name}/timeWindows/converter: bounds must be datetimes (not raw)`)
  }
  return problems
}

/** Validate a catalog of endpoint declarations once, at module load. Throws with every problem. */
export function defineEndpoints<const T extends readonly Endpoint[]> (endpoints: T): T {
  const problems: string[] = []
  const names = new Set<string>()
  for (const endpoint of endpoints) {
    for (const problem of schemaProblems(checkEndpoint, endpoint)) problems.push(`${endpoint.name ?? '?'}${problem}`)
    if (problems.length === 0) problems.push(...semanticProblems(endpoint))
    if (names.has(endpoint.name)) problems.push(`${endpoint.name}: declared twice`)
    names.add(endpoint.name)
  }
  if (problems.length > 0) throw new Error(`Invalid endpoint declarations:\n${problems.join('\n')}`)
  return endpoints
}
