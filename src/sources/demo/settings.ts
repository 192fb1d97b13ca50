/**
 * Demo endpoint catalog: the sample API's three tables, as definition data (see api_inventory.md).
 * Dataset-size params (`customers`, `orders_per_customer`, `latency_ms`) and the page size come from
 * the form through the definition's config references (source.ts).
 */
import type { DefinitionEndpoint } from '../definition.js'

export const DEMO_SOURCE_NAME = 'Demo'

/** Without UPSTREAM_BASE_URLS or a form value: the sample API this service serves (its own origin + /demo-api). */
export const DEFAULT_DEMO_BASE_URL = '{service_origin}/demo-api'

export const DEMO_DEFAULTS = {
  rows: 1000,
  ordersPerCustomer: 3,
  pageSize: 100
} as const

/** Hard page cap per customer for the notes fan-out (notes never exceed 4 per customer: hit with page_size 1). */
export const NOTES_PAGE_CAP = 3

const UPDATED_AT = {
  field: 'updated_at',
  label: 'Updated at',
  type: 'datetime',
  param: 'updated_since',
  converter: 'iso_no_millis'
} as const

/** Every table is partitioned by month of its immutable creation time. */
const BY_CREATED_AT = { partitionKey: 'created_at', partitionMode: 'datetime', partitionFormat: 'month' } as const
const PAGE_SIZE = { param: 'limit', value: { field: 'page_size', default: DEMO_DEFAULTS.pageSize } }

export const DEMO_ENDPOINTS = [
  {
    name: 'customers',
    label: 'Customers',
    description: 'Customers of the sample shop (Link-header pagination, updated_since filter).',
    path: '/customers',
    paginator: { type: 'link_header' },
    pageSize: PAGE_SIZE,
    incrementalFields: [UPDATED_AT],
    primaryKeys: ['id'],
    ...BY_CREATED_AT,
    sortMode: 'asc'
  },
  {
    name: 'orders',
    label: 'Orders',
    description: 'Orders of every customer (body cursor pagination, updated_since filter).',
    path: '/orders',
    dataSelector: 'data',
    paginator: { type: 'cursor', cursorPath: 'next_cursor', param: 'cursor' },
    pageSize: PAGE_SIZE,
    incrementalFields: [UPDATED_AT],
    primaryKeys: ['id'],
    ...BY_CREATED_AT,
    sortMode: 'asc'
  },
  {
    name: 'customer_notes',
    label: 'Customer notes',
    description: 'Notes per customer: a fan-out over customers (GET /customers/{customer_id}/notes).',
    path: '/customers/{customer_id}/notes',
    dataSelector: 'data',
    paginator: { type: 'cursor', cursorPath: 'next_cursor', param: 'cursor' },
    pageSize: PAGE_SIZE,
    primaryKeys: ['id'],
    ...BY_CREATED_AT,
    sortMode: 'asc',
    pageCap: NOTES_PAGE_CAP,
    responseActions: [{ status: 404, action: 'ignore' }],
    fanOut: {
      parent: 'customers',
      resolveParam: 'customer_id',
      resolveField: 'id',
      includeFromParent: ['id', 'email'],
      renames: { _customers_id: 'customer_id', _customers_email: 'customer_email' },
      concurrency: 4
    }
  }
] as const satisfies readonly DefinitionEndpoint[]

export type DemoTable = typeof DEMO_ENDPOINTS[number]['name']
