/**
 * The built-in `Demo` source: needs no credentials and no internet. Its upstream is the sample API the
 * service serves itself (sample-api.ts), so a newcomer can stream rows right after `npm start`, and its
 * size knobs make it a benchmark target. Endpoint facts live in settings.ts, transport in demo.ts.
 */
import { existsSync, readFileSync } from 'node:fs'
import { schemasFromEndpoints } from '../catalog.js'
import type { FieldDecl } from '../fields.js'
import { defineSource, type CredentialCheck, type SourceContext } from '../types.js'
import { DATASET_LIMITS } from './dataset.js'
import { demoBaseUrl, demoClient, demoOptions, demoSourceResponse, type DemoConfig } from './demo.js'
import { DEFAULT_DEMO_BASE_URL, DEMO_DEFAULTS, DEMO_ENDPOINTS, DEMO_SOURCE_NAME } from './settings.js'

export const DEMO_FIELDS = [
  {
    type: 'number',
    name: 'rows',
    label: 'Customers',
    required: false,
    placeholder: String(DEMO_DEFAULTS.rows),
    caption: `How many customers the sample API generates (0 to ${DATASET_LIMITS.customers.toLocaleString('en')}). Each has its orders and 0–4 notes.`
  },
  {
    type: 'number',
    name: 'orders_per_customer',
    label: 'Orders per customer',
    required: false,
    placeholder: String(DEMO_DEFAULTS.ordersPerCustomer),
    caption: `0 to ${DATASET_LIMITS.ordersPerCustomer}.`
  },
  {
    type: 'number',
    name: 'page_size',
    label: 'Page size',
    required: false,
    placeholder: String(DEMO_DEFAULTS.pageSize),
    caption: `Rows per upstream page (1 to ${DATASET_LIMITS.pageSize}).`
  },
  {
    type: 'number',
    name: 'latency_ms',
    label: 'Added latency (ms)',
    required: false,
    placeholder: '0',
    caption: `Delay the sample API adds to every page (0 to ${DATASET_LIMITS.latencyMs} ms), to imitate a slow vendor.`
  },
  {
    type: 'url',
    name: 'base_url',
    label: 'Sample API base URL',
    required: false,
    placeholder: DEFAULT_DEMO_BASE_URL,
    caption: 'Leave empty to use the sample API this service serves at /demo-api.'
  }
] as const satisfies readonly FieldDecl[]

function loadIcon (): string {
  // tsc does not copy the SVG into dist/, so a built server reads it from the source tree.
  const candidates = [new URL('./icon.svg', import.meta.url), new URL('../../../src/sources/demo/icon.svg', import.meta.url)]
  for (const candidate of candidates) if (existsSync(candidate)) return readFileSync(candidate, 'utf8')
  return ''
}

/** One small request: the sample API answers, with the configured dataset. */
async function validateCredentials (config: DemoConfig, ctx: SourceContext): Promise<CredentialCheck> {
  const options = demoOptions(config)
  const response = await demoClient(config, ctx).request(
    { method: 'GET', path: '/customers', params: { limit: 1, customers: options.rows } },
    { acceptStatuses: [400, 404] }
  )
  if (response.status === 404) {
    return { valid: false, code: 'NOT_A_SAMPLE_API', message: `${demoBaseUrl(config, ctx)} does not serve the Demo sample API (404 on /customers).` }
  }
  if (response.status === 400 || !Array.isArray(response.body)) {
    return { valid: false, code: 'NOT_A_SAMPLE_API', message: `${demoBaseUrl(config, ctx)} answered /customers, but not as the Demo sample API does.` }
  }
  return { valid: true }
}

export const demoSource = defineSource({
  name: DEMO_SOURCE_NAME,
  fields: DEMO_FIELDS,
  getSourceConfig: () => ({
    name: DEMO_SOURCE_NAME,
    label: 'Demo',
    caption: 'A built-in sample shop (customers, orders, customer notes) served by this service: no credentials, no internet. Use it to try syncs and to benchmark.',
    category: 'Demo',
    iconPath: '/static/services/demo.svg',
    releaseStatus: 'ga',
    keywords: ['demo', 'sample', 'test', 'benchmark'],
    suggestedTables: [{ table: 'customers' }, { table: 'orders' }],
    fields: DEMO_FIELDS.map((field) => ({ ...field }))
  }),
  validateCredentials,
  getSchemas: async (config) => {
    if (config !== null) demoOptions(config) // out-of-range knobs are reported here too
    return schemasFromEndpoints(DEMO_ENDPOINTS)
  },
  sourceForPipeline: async (config, inputs, ctx) => demoSourceResponse(config, inputs, ctx),
  getNonRetryableErrors: () => new Map<string, string | null>([
    ['non-public addresses are not allowed', 'The Demo base URL points at an address this service may not call. Leave the base URL empty to use the built-in sample API, or set ALLOW_PRIVATE_UPSTREAMS for a private one.'],
    ['is not among the hosts', 'The sample API sent a link to another host; the Demo base URL must be the sample API itself.'],
    ['invalid_parameter', null],
    ['Upstream returned 404', 'The Demo base URL does not serve the sample API (HTTP 404). Leave it empty to use the built-in one.']
  ]),
  assets: { 'demo.svg': { contentType: 'image/svg+xml', body: loadIcon() } }
})
