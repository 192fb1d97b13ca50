/**
 * What every source derives from its endpoint catalog (`settings.ts`), so the table list the wizard
 * shows (discover) and what a sync does (read) come from one declaration and cannot drift.
 */
import type { Endpoint, IncrementalFieldDecl } from '../engine/declarations.js'
import { SchemaNotFoundError, UnsupportedRequestError } from '../errors.js'
import type { PipelineInputs, SourceResponse, SourceSchema, SyncType } from './types.js'

/**
 * The tables of a catalog as the wizard lists them. `supports_append` follows `supportsAppend`
 * when declared and otherwise `supports_incremental`; it is never true without an incremental field,
 * since an append sync needs one for its watermark.
 */
export function schemasFromEndpoints (endpoints: readonly Endpoint[]): SourceSchema[] {
  return endpoints.map(tableOf)
}

function tableOf (endpoint: Endpoint): SourceSchema {
  const incremental = endpoint.incrementalFields ?? []
  return {
    name: endpoint.name,
    label: endpoint.label ?? endpoint.name,
    description: endpoint.description ?? null,
    supports_incremental: incremental.length > 0,
    supports_append: supportsAppend(endpoint),
    incremental_fields: incremental.map((field) => ({
      label: field.label ?? field.field,
      type: field.type,
      field: field.field,
      field_type: field.type
    })),
    primary_keys: [...endpoint.primaryKeys],
    should_sync_default: endpoint.shouldSyncDefault ?? true
  }
}

function supportsAppend (endpoint: Endpoint): boolean {
  return (endpoint.incrementalFields ?? []).length > 0 && (endpoint.supportsAppend ?? true)
}

/** The endpoint of a table, by its exact name. */
export function findEndpoint (endpoints: readonly Endpoint[], name: string, sourceType = 'this source'): Endpoint {
  const endpoint = endpoints.find((e) => e.name === name)
  if (endpoint === undefined) throw new SchemaNotFoundError(sourceType, name)
  return endpoint
}

export type ResponseMetadata = Omit<SourceResponse, 'pages' | 'name'>

/**
 * The merge metadata of a SourceResponse for one endpoint. A `partitionKey` means datetime
 * partitioning by month unless the endpoint declares another mode or format.
 */
export function responseMetadata (endpoint: Endpoint): ResponseMetadata {
  const key = endpoint.partitionKey
  const mode = key === undefined ? null : endpoint.partitionMode ?? 'datetime'
  return {
    primaryKeys: [...endpoint.primaryKeys],
    partitionMode: mode,
    partitionKeys: key === undefined ? null : [key],
    partitionFormat: mode === 'datetime' ? endpoint.partitionFormat ?? 'month' : null,
    partitionCount: null,
    partitionSize: mode === null ? null : endpoint.partitionSize ?? null,
    sortMode: endpoint.sortMode ?? 'asc',
    tableFormat: 'delta'
  }
}

/**
 * The incremental field a sync binds (null for full refresh): the one named, or the table's only one.
 * Refuses a table that does not support the sync type and a field the table does not declare.
 */
export function resolveIncrementalField (table: SourceSchema, syncType: SyncType, requested: string | undefined): IncrementalFieldDecl | null {
  if (syncType === 'full_refresh') return null
  const supported = syncType === 'incremental' ? table.supports_incremental : table.supports_append
  if (!supported) {
    throw new UnsupportedRequestError(`Table "${table.name}" does not support ${syncType} syncs.`,
      [{ path: '/sync_type', message: `${syncType} is not supported by table "${table.name}"` }])
  }
  const declared = table.incremental_fields
  const choices = declared.map((f) => `"${f.field}"`).join(', ')
  const chosen = requested === undefined ? (declared.length === 1 ? declared[0] : undefined) : declared.find((f) => f.field === requested)
  if (chosen === undefined) {
    const message = requested === undefined
      ? `is required for ${syncType} syncs of table "${table.name}" (one of: ${choices})`
      : `is not an incremental field of table "${table.name}" (one of: ${choices})`
    throw new UnsupportedRequestError(`incremental_field ${message}.`, [{ path: '/incremental_field', message }])
  }
  return { field: chosen.field, type: chosen.field_type, label: chosen.label }
}

/**
 * Check a sync request against the table's declaration. Returns the incremental field to bind (null
 * for a full refresh). An incremental or append sync needs `incrementalField` unless the table
 * declares exactly one, which is then used.
 */
export function checkPipelineInputs (endpoint: Endpoint, inputs: Pick<PipelineInputs, 'syncType' | 'incrementalField'>): IncrementalFieldDecl | null {
  const requested = inputs.incrementalField === '' ? undefined : inputs.incrementalField
  const chosen = resolveIncrementalField(tableOf(endpoint), inputs.syncType, requested)
  // The endpoint's own declaration: it carries the request param and converter the table list leaves out.
  return chosen === null ? null : (endpoint.incrementalFields ?? []).find((f) => f.field === chosen.field) ?? null
}
