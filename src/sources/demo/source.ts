/**
 * The built-in `Demo` source: needs no credentials and no internet. Its upstream is the sample API the
 * service serves itself (sample-api.ts, mounted through the source's routes), so a newcomer can stream
 * rows right after `npm start`, and its size knobs make it a benchmark target. The endpoint catalog
 * lives in settings.ts, the hooks in demo.ts.
 */
import type { SourceDefinition } from '../definition.js'
import { defineRestSource } from '../rest-source.js'
import { DATASET_LIMITS } from './dataset.js'
import { demoHooks } from './demo.js'
import { DEFAULT_DEMO_BASE_URL, DEMO_DEFAULTS, DEMO_ENDPOINTS, DEMO_SOURCE_NAME } from './settings.js'

/** Client budget: a few concurrent requests, so fan-out parents overlap without flooding the service. */
export const DEMO_BUDGET = { maxConcurrent: 4 }

const NOT_SAMPLE_API = 'NOT_A_SAMPLE_API'

export const DEMO_DEFINITION = {
  name: DEMO_SOURCE_NAME,
  label: 'Demo',
  caption: 'A built-in sample shop (customers, orders, customer notes) served by this service: no credentials, no internet. Use it to try syncs and to benchmark.',
  category: 'Demo',
  icon: 'icon.svg',
  releaseStatus: 'ga',
  keywords: ['demo', 'sample', 'test', 'benchmark'],
  suggestedTables: [{ table: 'customers' }, { table: 'orders' }],
  fields: [
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
      placeholder: 'http://127.0.0.1:8000/demo-api',
      caption: 'Leave empty to use the sample API this service serves at /demo-api.'
    }
  ],
  client: {
    baseUrl: { default: DEFAULT_DEMO_BASE_URL, field: 'base_url' },
    auth: { type: 'none' },
    // The dataset this config describes, on every request.
    params: {
      customers: { field: 'rows', default: DEMO_DEFAULTS.rows },
      orders_per_customer: { field: 'orders_per_customer', default: DEMO_DEFAULTS.ordersPerCustomer },
      latency_ms: { field: 'latency_ms' }
    },
    budgets: { default: DEMO_BUDGET },
    rateLimitHeaders: { remaining: 'x-ratelimit-remaining', reset: 'x-ratelimit-reset', resetKind: 'epoch_seconds' }
  },
  endpoints: DEMO_ENDPOINTS,
  // One small request: the sample API answers, with the configured dataset.
  check: {
    steps: [{ path: '/customers', params: { limit: 1, customers: { field: 'rows', default: DEMO_DEFAULTS.rows } }, expect: 'list' }],
    outcomes: [
      { status: 404, code: NOT_SAMPLE_API, message: '{base_url} does not serve the Demo sample API (404 on /customers).' },
      { status: 400, code: NOT_SAMPLE_API, message: '{base_url} answered /customers, but not as the Demo sample API does.' },
      { unexpectedBody: true, code: NOT_SAMPLE_API, message: '{base_url} answered /customers, but not as the Demo sample API does.' }
    ]
  },
  errors: [
    // The engine's words name the refused origin or address; never retried.
    { code: 'UPSTREAM_TARGET_BLOCKED', message: '{error} Leave the Demo base URL empty to use the built-in sample API, or set ALLOW_PRIVATE_UPSTREAMS for a private one.' },
    { status: 400, message: null },
    { status: 404, message: 'The Demo base URL does not serve the sample API (HTTP 404). Leave it empty to use the built-in one.' }
  ]
} as const satisfies SourceDefinition

export const demoSource = defineRestSource(DEMO_DEFINITION, demoHooks, { baseDir: new URL('.', import.meta.url) })
