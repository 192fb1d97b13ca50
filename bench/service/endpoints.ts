/**
 * Endpoint declarations for the bench fakes, as a source would declare them. The in-process engine
 * runner and the Bench source (end to end) use these same declarations.
 */
import { defineEndpoints, type Endpoint } from '../../src/engine/declarations.js'
import type { ClientOptions, RateBudget } from '../../src/engine/types.js'

export const BENCH_ENDPOINTS = defineEndpoints([
  {
    name: 'items',
    description: 'Link-header list (GitHub style); path set per run from the dataset.',
    path: '/lists/1/1/1/0/items',
    paginator: { type: 'link_header' },
    primaryKeys: ['id'],
    sortMode: 'asc'
  },
  {
    name: 'forms',
    description: 'Page-number list with page_count (Typeform GET /forms style).',
    path: '/pages/1/1/1/0/forms',
    dataSelector: 'items',
    paginator: { type: 'page_number', pageParam: 'page', basePage: 1, totalPagesPath: 'page_count' },
    primaryKeys: ['id'],
    sortMode: 'asc'
  },
  {
    name: 'parents',
    path: '/parents',
    paginator: { type: 'link_header' },
    primaryKeys: ['id'],
    shouldSyncDefault: false
  },
  {
    name: 'children',
    description: 'One request per parent (500 parents), 20 ms each.',
    path: '/parents/{parent_id}/children',
    paginator: { type: 'link_header' },
    primaryKeys: ['id'],
    fanOut: { parent: 'parents', resolveParam: 'parent_id', resolveField: 'id', includeFromParent: ['id'], concurrency: 16 }
  }
] as const satisfies readonly Endpoint[])

export type BenchTable = typeof BENCH_ENDPOINTS[number]['name']

export interface BenchRun {
  table: BenchTable
  /** Path of the dataset (link and page-number fakes name their dataset in the path). */
  path?: string
  /** Requests per second the API allows; absent or 0: no budget. */
  budgetPerSecond?: number
  /** Fan-out concurrency (parents fetched at once). */
  concurrency?: number
}

/** The declaration of one run: the table's endpoint with the run's path and fan-out concurrency. */
export function endpointFor (run: BenchRun): Endpoint {
  const base = BENCH_ENDPOINTS.find((e) => e.name === run.table)
  if (base === undefined) throw new Error(`unknown bench table ${run.table}`)
  const endpoint: Endpoint = structuredClone(base) as Endpoint
  if (run.path !== undefined && run.path !== '') endpoint.path = run.path
  if (endpoint.fanOut !== undefined && run.concurrency !== undefined && run.concurrency > 0) {
    endpoint.fanOut = { ...endpoint.fanOut, concurrency: run.concurrency }
  }
  return endpoint
}

/** Client options for a run: no auth, the budget (if any) as a per-second reservoir. */
export function clientOptionsFor (baseUrl: string, run: BenchRun): ClientOptions {
  const budgets: Record<string, RateBudget> = {}
  if (run.budgetPerSecond !== undefined && run.budgetPerSecond > 0) {
    budgets.default = { reservoir: run.budgetPerSecond, intervalMs: 1000 }
  }
  return { source: 'Bench', baseUrl, auth: { type: 'none' }, budgets }
}
