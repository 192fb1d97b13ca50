/**
 * The NDJSON lines of a sync stream, one TypeBox schema per line type and their union (published in
 * the OpenAPI document of the sync route). A stream is: one `schema` line, then `record`, `state` and
 * `log` lines, then exactly one terminal line, `end` or `error`. A stream without a terminal line was cut.
 */
import Type, { type Static } from 'typebox'
import { PartitionFormatSchema, PartitionModeSchema, SortModeSchema } from '../engine/declarations.js'
import { SyncTypeSchema } from '../sources/types.js'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

/** Watermark values as the incremental field holds them (ISO strings, numbers). */
export const WatermarkValueSchema = Type.Union([Type.String(), Type.Number(), Type.Null()], {
  description: 'A value of the incremental field, as the rows hold it; null when no row had one.'
})

/** An opaque resume token: send it back as `resume_state` to continue right after the page it follows. */
export const ResumeTokenSchema = Type.String({
  minLength: 1,
  description: 'Opaque resume token bound to its source, table, sync type and incremental field.'
})

export const SchemaLineSchema = Type.Object({
  type: Type.Literal('schema'),
  name: Type.String({ description: 'Table name.' }),
  primary_keys: Type.Array(Type.String()),
  partition_mode: Nullable(PartitionModeSchema),
  partition_keys: Nullable(Type.Array(Type.String())),
  partition_format: Nullable(PartitionFormatSchema),
  partition_count: Nullable(Type.Integer()),
  partition_size: Nullable(Type.Integer()),
  sort_mode: SortModeSchema,
  table_format: Type.Literal('delta'),
  sync_type: SyncTypeSchema,
  incremental_field: Nullable(Type.String())
}, { title: 'SyncSchemaLine', additionalProperties: false, description: 'First line: what a warehouse merge needs.' })

export const RecordLineSchema = Type.Object({
  type: Type.Literal('record'),
  data: Type.Record(Type.String(), Type.Unknown(), {
    description: 'One row: the object the API sent, with the declared columns (fan-out parents, added fields) after its own. ' +
      'Pages that allow it are written from the API\'s own JSON text, so their numbers keep the digits the API sent (an integer beyond 2^53 is not rounded); ' +
      'other pages pass numbers through a double.'
  })
}, { title: 'SyncRecordLine', additionalProperties: false })

export const ProgressSchema = Type.Object({
  rows: Type.Integer({ minimum: 0, description: 'Rows sent so far in this stream.' }),
  pages: Type.Integer({ minimum: 0, description: 'Upstream pages of the table read so far (a resumed plain endpoint counts those before the resume too).' }),
  total_pages: Type.Optional(Type.Integer({ minimum: 0, description: 'Pages of the whole table, where the API states it (GitHub `Link rel="last"`, a page count, an offset total). Absent when unknown, never guessed.' })),
  total_rows: Type.Optional(Type.Integer({ minimum: 0, description: 'Rows of the whole table, where the API states it (a total count in the body or a header). Absent when unknown.' }))
}, { title: 'SyncProgress', additionalProperties: false, description: 'How far the sync is; totals only where the endpoint declares where the API states them.' })

export const StateLineSchema = Type.Object({
  type: Type.Literal('state'),
  state: ResumeTokenSchema,
  rows: Type.Integer({ minimum: 0, description: 'Rows sent so far in this stream.' }),
  progress: ProgressSchema
}, {
  title: 'SyncStateLine',
  additionalProperties: false,
  description: 'After each page whose rows are all written, except the last page of the table (its end is the `end` line): a one-page sync has none.'
})

export const LogLineSchema = Type.Object({
  type: Type.Literal('log'),
  level: Type.Union([Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')]),
  event: Type.String({ description: 'page_cap_reached, rate_limit_wait, retry, loop_detected, response_ignored, progress (with eta_seconds), ...' })
}, { title: 'SyncLogLine', additionalProperties: true, description: 'An engine event operators must see; extra fields describe it.' })

export const EndLineSchema = Type.Object({
  type: Type.Literal('end'),
  rows: Type.Integer({ minimum: 0, description: 'Rows sent in this stream.' }),
  last_value: WatermarkValueSchema,
  earliest_value: WatermarkValueSchema
}, {
  title: 'SyncEndLine',
  additionalProperties: false,
  description: 'Terminal line of a complete sync: the new watermarks (max and min of the incremental field over the ' +
    'rows of the run, including rows sent before a resume); null for full refresh syncs or when no row had a value.'
})

export const ErrorLineSchema = Type.Object({
  type: Type.Literal('error'),
  code: Type.String({ description: 'Stable error code, e.g. UPSTREAM_AUTH_FAILED, SERVICE_UNAVAILABLE.' }),
  message: Type.String(),
  retryable: Type.Boolean(),
  state: Nullable(ResumeTokenSchema)
}, { title: 'SyncErrorLine', additionalProperties: false, description: 'Terminal line of a failed sync, with the last good state (null: start over).' })

export const SyncLineSchema = Type.Union([
  SchemaLineSchema, RecordLineSchema, StateLineSchema, LogLineSchema, EndLineSchema, ErrorLineSchema
], { title: 'SyncLine', description: 'One line of an application/x-ndjson sync stream.' })

export type SchemaLine = Static<typeof SchemaLineSchema>
export type RecordLine = Static<typeof RecordLineSchema>
export type StateLine = Static<typeof StateLineSchema>
export type Progress = Static<typeof ProgressSchema>
export type LogLine = Static<typeof LogLineSchema> & Record<string, unknown>
export type EndLine = Static<typeof EndLineSchema>
export type ErrorLine = Static<typeof ErrorLineSchema>
export type SyncLine = Static<typeof SyncLineSchema>
export type TerminalLine = EndLine | ErrorLine
