/**
 * The sync request body and the checks made on it before any byte is streamed: the table exists and
 * the watermarks fit its incremental field (the sync type and field themselves are checked by
 * `resolveIncrementalField` in sources/tables.ts, which sources use too). Each failure is a 4xx
 * problem naming the field.
 */
import Type, { type Static } from 'typebox'
import type { IncrementalFieldDecl } from '../engine/declarations.js'
import { comparable } from '../engine/incremental.js'
import { SchemaNotFoundError, ValidationError, type FieldError } from '../errors.js'
import { ConfigSchema, SyncTypeSchema, type SourceSchema } from '../sources/types.js'
import { WatermarkValueSchema } from './lines.js'

/**
 * A resume token or null. One schema with a type list, not a union with null: with fastify's type
 * coercion a union would turn `""` into null ("no resume"); here `""` fails `minLength` (400).
 */
const ResumeStateSchema = Type.Unsafe<string | null>({
  type: ['string', 'null'],
  minLength: 1,
  description: 'A `state` from an earlier stream of the same table: continue right after its page. Null (or absent): from the beginning.'
})

export const SyncLimitsSchema = Type.Object({
  max_rows: Type.Optional(Type.Integer({ minimum: 1, description: 'Stop after this many rows (preview).' })),
  max_pages: Type.Optional(Type.Integer({ minimum: 1, description: 'Stop after this many pages (preview).' }))
}, { title: 'SyncLimits', additionalProperties: false, description: 'Turns the sync into a preview; the stream still ends with an `end` line.' })

export const SyncRequestSchema = Type.Object({
  config: ConfigSchema,
  schema: Type.String({ minLength: 1, description: 'Table name, as listed by /schemas.' }),
  sync_type: Type.Optional(SyncTypeSchema),
  incremental_field: Type.Optional(Type.String({ minLength: 1, description: 'Required for incremental/append syncs of tables with several incremental fields.' })),
  last_value: Type.Optional(WatermarkValueSchema),
  earliest_value: Type.Optional(WatermarkValueSchema),
  resume_state: Type.Optional(ResumeStateSchema),
  limits: Type.Optional(SyncLimitsSchema)
}, { title: 'SyncRequest', additionalProperties: false })
export type SyncRequest = Static<typeof SyncRequestSchema>

/** The table of the request among the source's tables (404 when absent). */
export function findTable (schemas: readonly SourceSchema[], sourceName: string, name: string): SourceSchema {
  const table = schemas.find((s) => s.name === name)
  if (table === undefined) throw new SchemaNotFoundError(sourceName, name)
  return table
}

/** Stored watermarks must be readable as the field's type (else the engine could not send them upstream). */
export function checkWatermarks (field: IncrementalFieldDecl | null, values: Pick<SyncRequest, 'last_value' | 'earliest_value'>): void {
  if (field === null) return
  const errors: FieldError[] = []
  for (const name of ['last_value', 'earliest_value'] as const) {
    const value = values[name]
    if (value === undefined || value === null) continue
    if (Number.isNaN(comparable(value, field.type))) {
      errors.push({ path: `/${name}`, message: `is not a ${field.type} value of "${field.field}"` })
    }
  }
  if (errors.length > 0) throw new ValidationError(errors)
}
