/**
 * What every source derives from its endpoint catalog (`settings.ts`), so the table list the wizard
 * shows (discover) and what a sync does (read) come from one declaration and cannot drift.
 */
import type { Endpoint, IncrementalFieldDecl } from '../engine/declarations.js'
import { SchemaNotFoundError, UnsupportedRequestError } from '../errors.js'
import type { PipelineInputs, SourceResponse, SourceSchema } from './types.js'

/**
 * The tables of a catalog as the wizard lists them. `supports_append` follows `supportsAppend`
 * when declared and otherwise `supports_incremental`; it is never true without an incremental field,
 * since an append sync needs one for its watermark.
 */
export function schemasFromEndpoints (endpoints: readonly Endpoint[]): SourceSchema[] {
  return endpoints.map((endpoint) => {
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
  })
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
 * Check a sync request against the table's declaration. Returns the incremental field to bind (null
 * for a full refresh). An incremental or append sync needs `incrementalField` unless the table
 * declares exactly one, which is then used.
 */
export function checkPipelineInputs (endpoint: Endpoint, inputs: Pick<PipelineInputs, 'syncType' | 'incrementalField'>): IncrementalFieldDecl | null {
  if (inputs.syncType === 'full_refresh') return null
  const declared = endpoint.incrementalFields ?? []
  const supported = inputs.syncType === 'incremental' ? declared.length > 0 : supportsAppend(endpoint)
  if (!supported) {
    const message = `Table "${endpoint.name}" does not support ${inputs.syncType} syncs.`
    throw new UnsupportedRequestError(message, [{ path: '/sync_type', message: `${inputs.syncType} is not supported by table "${endpoint.name}"` }])
  }
  const choices = declared.map((f) => `"${f.field}"`).join(', ')
  if (inputs.incrementalField === undefined || inputs.incrementalField === '') {
    const only = declared.length === 1 ? declared[0] : undefined
    if (only !== undefined) return only
    const message = `is required for ${inputs.syncType} syncs of table "${endpoint.name}" (one of: ${choices})`
    throw new UnsupportedRequestError(`incremental_field ${message}.`, [{ path: '/incremental_field', message }])
  }
  const field = declared.find((f) => f.field === inputs.incrementalField)
  if (field === undefined) {
    const message = `is not an incremental field of table "${endpoint.name}" (one of: ${choices})`
    throw new UnsupportedRequestError(`incremental_field ${message}.`, [{ path: '/incremental_field', message }])
  }
  return field
}
