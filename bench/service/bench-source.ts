/**
 * A source used only by the bench: it syncs the loopback fakes through the real engine, so the
 * service can be measured end to end (route → source → engine → NDJSON) against the same upstream
 * the peers read. Registered only in the bench's service process, never in the product.
 */
import { sourceClient } from '../../src/sources/client.js'
import { defineSource, type SourceResponse } from '../../src/sources/types.js'
import { BENCH_ENDPOINTS, clientOptionsFor, endpointFor, type BenchTable } from './endpoints.js'

const fields = [
  { type: 'url', name: 'base_url', label: 'Fake base URL', required: true, placeholder: 'http://127.0.0.1:1234' },
  { type: 'text', name: 'path', label: 'Dataset path', required: false, placeholder: '/lists/100/100/1000/0/items' },
  { type: 'number', name: 'budget', label: 'Requests per second', required: false, placeholder: '100' },
  { type: 'number', name: 'concurrency', label: 'Fan-out concurrency', required: false, placeholder: '16' }
] as const

export const benchSource = defineSource({
  name: 'Bench',
  fields,
  getSourceConfig: () => ({
    name: 'Bench',
    label: 'Bench',
    caption: 'Loopback fakes for the benchmark suite.',
    category: 'Testing',
    releaseStatus: 'alpha',
    unreleasedSource: true,
    fields: fields.map((f) => ({ ...f }))
  }),
  validateCredentials: async () => ({ valid: true }),
  getSchemas: async () => BENCH_ENDPOINTS.filter((e) => e.name !== 'parents').map((e) => ({
    name: e.name,
    label: e.name,
    description: e.description ?? null,
    supports_incremental: false,
    supports_append: false,
    incremental_fields: [],
    primary_keys: [...e.primaryKeys],
    should_sync_default: true
  })),
  async sourceForPipeline (config, inputs, ctx): Promise<SourceResponse> {
    const run = {
      table: inputs.schema as BenchTable,
      ...(config.path === undefined ? {} : { path: config.path }),
      ...(config.budget === undefined ? {} : { budgetPerSecond: config.budget }),
      ...(config.concurrency === undefined ? {} : { concurrency: config.concurrency })
    }
    const endpoint = endpointFor(run)
    const client = sourceClient(clientOptionsFor(config.base_url, run), ctx)
    return {
      name: endpoint.name,
      pages: client.pages(endpoint, {
        catalog: BENCH_ENDPOINTS,
        ...(inputs.resumeState === undefined ? {} : { resumeState: inputs.resumeState }),
        ...(inputs.maxPages === undefined ? {} : { maxPages: inputs.maxPages }),
        ...(inputs.rowsAsText === true ? { rowsAsText: true } : {})
      }),
      primaryKeys: [...endpoint.primaryKeys],
      partitionMode: null,
      partitionKeys: null,
      partitionFormat: null,
      partitionCount: null,
      partitionSize: null,
      sortMode: 'asc',
      tableFormat: 'delta'
    }
  },
  errorRules: []
})
