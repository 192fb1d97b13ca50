/**
 * Demo hooks: what the sample-shop definition cannot say as data.
 * - normaliseConfig: the size knobs have ranges a PostHog number field cannot declare; every
 *   out-of-range knob is reported at once, by path.
 * - clientOptions: the sample API is served by this very service, a loopback origin the SSRF guard
 *   refuses for everyone else; only when the base URL is the service's own origin is it trusted, and only
 *   then does the request carry the service's internal token (the sample API sits behind API_TOKENS).
 * - routes: the sample API itself, mounted at /demo-api.
 */
import type { ClientOptions } from '../../engine/index.js'
import { ValidationError, type FieldError } from '../../errors.js'
import type { AnyConfig, SourceHooks } from '../rest-source.js'
import type { SourceContext } from '../types.js'
import { DATASET_LIMITS } from './dataset.js'
import { SAMPLE_API_PREFIX, sampleApi } from './sample-api.js'

/** Form values with every knob checked; an added latency of 0 is no added latency (no param). */
export function checkDemoConfig (config: AnyConfig): AnyConfig {
  const errors: FieldError[] = []
  const knob = (name: string, min: number, max: number): void => {
    const value = config[name]
    if (value === undefined) return
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      errors.push({ path: `/config/${name}`, message: `must be a whole number from ${min} to ${max}` })
    }
  }
  knob('rows', 0, DATASET_LIMITS.customers)
  knob('orders_per_customer', 0, DATASET_LIMITS.ordersPerCustomer)
  knob('page_size', 1, DATASET_LIMITS.pageSize)
  knob('latency_ms', 0, DATASET_LIMITS.latencyMs)
  const baseUrl = config.base_url
  if (baseUrl !== undefined && (typeof baseUrl !== 'string' || !/^https?:\/\/[^/]/i.test(baseUrl))) {
    errors.push({ path: '/config/base_url', message: 'must be an http(s) URL' })
  }
  if (errors.length > 0) throw new ValidationError(errors)
  if (config.latency_ms !== 0) return config
  const { latency_ms: _none, ...rest } = config
  return rest
}

function ownOrigin (options: ClientOptions, ctx: SourceContext): ClientOptions {
  if (ctx.serviceOrigin === undefined || new URL(options.baseUrl).origin !== new URL(ctx.serviceOrigin).origin) return options
  return {
    ...options,
    trustedOrigins: [ctx.serviceOrigin],
    ...(ctx.serviceToken === undefined ? {} : { auth: { type: 'bearer', token: ctx.serviceToken } })
  }
}

export const demoHooks: SourceHooks = {
  normaliseConfig: checkDemoConfig,
  clientOptions: (options, _config, ctx) => ownOrigin(options, ctx),
  routes: { prefix: SAMPLE_API_PREFIX, plugin: sampleApi, protected: true }
}
