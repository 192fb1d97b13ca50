/**
 * Demo transport: the form's size knobs become request params of the sample API, the base URL comes
 * from the form, the operator override or the default, and the catalog goes to the engine as is.
 * Pagination, fan-out, incremental params, retries and rate-limit handling are the engine's.
 */
import type { ClientOptions, Endpoint, RestClient } from '../../engine/index.js'
import { ValidationError, type FieldError } from '../../errors.js'
import { checkPipelineInputs, findEndpoint, responseMetadata } from '../catalog.js'
import { chooseBaseUrl, sourceClient } from '../client.js'
import type { ConfigOf } from '../fields.js'
import type { PipelineInputs, SourceContext, SourceResponse } from '../types.js'
import { DATASET_LIMITS } from './dataset.js'
import { DEFAULT_DEMO_BASE_URL, DEMO_DEFAULTS, DEMO_ENDPOINTS, DEMO_SOURCE_NAME } from './settings.js'
import type { DEMO_FIELDS } from './source.js'

export type DemoConfig = ConfigOf<typeof DEMO_FIELDS>

export interface DemoOptions {
  rows: number
  ordersPerCustomer: number
  pageSize: number
  latencyMs: number
}

/** Client budget: a few concurrent requests, so fan-out parents overlap without flooding the service. */
export const DEMO_BUDGET = { maxConcurrent: 4 }

/** Form values → dataset options; every out-of-range knob is reported at once, by path. */
export function demoOptions (config: DemoConfig): DemoOptions {
  const errors: FieldError[] = []
  const knob = (name: keyof DemoConfig, value: number | undefined, fallback: number, min: number, max: number): number => {
    if (value === undefined) return fallback
    if (!Number.isInteger(value) || value < min || value > max) {
      errors.push({ path: `/config/${name}`, message: `must be a whole number from ${min} to ${max}` })
    }
    return value
  }
  const options = {
    rows: knob('rows', config.rows, DEMO_DEFAULTS.rows, 0, DATASET_LIMITS.customers),
    ordersPerCustomer: knob('orders_per_customer', config.orders_per_customer, DEMO_DEFAULTS.ordersPerCustomer, 0, DATASET_LIMITS.ordersPerCustomer),
    pageSize: knob('page_size', config.page_size, DEMO_DEFAULTS.pageSize, 1, DATASET_LIMITS.pageSize),
    latencyMs: knob('latency_ms', config.latency_ms, 0, 0, DATASET_LIMITS.latencyMs)
  }
  if (config.base_url !== undefined && !/^https?:\/\/[^/]/i.test(config.base_url)) {
    errors.push({ path: '/config/base_url', message: 'must be an http(s) URL' })
  }
  if (errors.length > 0) throw new ValidationError(errors)
  return options
}

/** A URL typed into the form wins over the operator's override, which wins over the default. */
export function demoBaseUrl (config: Pick<DemoConfig, 'base_url'>, ctx: Pick<SourceContext, 'baseUrlOverride'>): string {
  return chooseBaseUrl(config.base_url, ctx, DEFAULT_DEMO_BASE_URL)
}

export function demoClientOptions (config: DemoConfig, ctx: Pick<SourceContext, 'baseUrlOverride'>): ClientOptions {
  return {
    source: DEMO_SOURCE_NAME,
    baseUrl: demoBaseUrl(config, ctx),
    auth: { type: 'none' },
    budgets: { default: DEMO_BUDGET },
    rateLimitHeaders: { remaining: 'x-ratelimit-remaining', reset: 'x-ratelimit-reset', resetKind: 'epoch_seconds' }
  }
}

export function demoClient (config: DemoConfig, ctx: SourceContext): RestClient {
  return sourceClient(demoClientOptions(config, ctx), ctx)
}

/** The catalog with this config's dataset and page size in every request. */
export function configuredEndpoints (options: DemoOptions): Endpoint[] {
  const params = {
    customers: options.rows,
    orders_per_customer: options.ordersPerCustomer,
    latency_ms: options.latencyMs === 0 ? null : options.latencyMs
  }
  return DEMO_ENDPOINTS.map((endpoint: Endpoint) => ({
    ...endpoint,
    params: { ...endpoint.params, ...params },
    pageSize: { param: 'limit', value: options.pageSize }
  }))
}

export function demoSourceResponse (config: DemoConfig, inputs: PipelineInputs, ctx: SourceContext): SourceResponse {
  const declared = findEndpoint(DEMO_ENDPOINTS, inputs.schema, DEMO_SOURCE_NAME)
  const field = checkPipelineInputs(declared, inputs)
  const catalog = configuredEndpoints(demoOptions(config))
  const endpoint = findEndpoint(catalog, inputs.schema, DEMO_SOURCE_NAME)
  const pages = demoClient(config, ctx).pages(endpoint, {
    catalog,
    ...(field === null
      ? {}
      : { incremental: { field: field.field, lastValue: inputs.lastValue, earliestValue: inputs.earliestValue } }),
    ...(inputs.resumeState === undefined || inputs.resumeState === null ? {} : { resumeState: inputs.resumeState }),
    ...(inputs.maxPages === undefined ? {} : { maxPages: inputs.maxPages })
  })
  return { name: endpoint.name, pages, ...responseMetadata(declared) }
}
