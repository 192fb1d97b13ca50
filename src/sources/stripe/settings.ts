/**
 * The Stripe endpoint catalog, as definition data (see api_inventory.md for where each fact was checked).
 * Every table is a top-level list of the account (or of the connected account the form names): the same
 * `{ object: "list", has_more, data }` envelope, `starting_after` cursor, `limit` up to 100, newest first,
 * `created[...]` filters — so the defaults say it once and each table states its path.
 */
import type { IncrementalFieldDecl } from '../../engine/declarations.js'
import type { DefinitionEndpoint, EndpointDefaults } from '../definition.js'

export const DEFAULT_API_BASE_URL = 'https://api.stripe.com'
/** The API version every request pins (`Stripe-Version`), so object shapes do not change with the account's default. */
export const STRIPE_API_VERSION = '2024-06-20'
/** Stripe's largest page. */
export const PAGE_SIZE = 100

/**
 * `created` (unix seconds, immutable) is the only filter every list offers. Lists are newest first and
 * cannot be reversed, so with both watermarks the engine walks twice: `created[lt]` the earliest value
 * (finishing an interrupted first sync), then `created[gt]` the last value (never `gte`, which would
 * re-read the boundary rows).
 */
export const CREATED: IncrementalFieldDecl = {
  field: 'created',
  label: 'Created at',
  type: 'datetime',
  param: 'created[gt]',
  earliestParam: 'created[lt]',
  converter: 'epoch_seconds'
}

export const STRIPE_DEFAULTS = {
  paginator: { type: 'last_record_cursor', recordField: 'id', param: 'starting_after', hasMorePath: 'has_more' },
  pageSize: { param: 'limit', value: PAGE_SIZE },
  dataSelector: 'data',
  primaryKeys: ['id'],
  incrementalFields: [CREATED],
  supportsAppend: true,
  partitionKey: 'created',
  partitionMode: 'datetime',
  partitionFormat: 'month',
  sortMode: 'desc'
} as const satisfies EndpointDefaults

/** Mutable objects: `created` finds new ones only; updates reach the warehouse through a full refresh or `events`. */
const NEW_OBJECTS_ONLY = 'Incremental and append syncs on `created` pick up new objects only; changes to existing ones need a full refresh (or the events table).'

export const STRIPE_ENDPOINTS = [
  { name: 'customers', label: 'Customers', description: `Customers. ${NEW_OBJECTS_ONLY}`, path: '/v1/customers' },
  { name: 'charges', label: 'Charges', description: `Charges, with payment method details and outcome. ${NEW_OBJECTS_ONLY}`, path: '/v1/charges' },
  { name: 'invoices', label: 'Invoices', description: `Invoices with their first page of line items. ${NEW_OBJECTS_ONLY}`, path: '/v1/invoices' },
  {
    name: 'subscriptions',
    label: 'Subscriptions',
    description: `Subscriptions of every status, canceled ones included. ${NEW_OBJECTS_ONLY}`,
    path: '/v1/subscriptions',
    // Without `status`, Stripe leaves canceled subscriptions out.
    params: { status: 'all' }
  },
  { name: 'products', label: 'Products', description: `Products, active and archived. ${NEW_OBJECTS_ONLY}`, path: '/v1/products' },
  { name: 'prices', label: 'Prices', description: `Prices, active and archived. ${NEW_OBJECTS_ONLY}`, path: '/v1/prices' },
  { name: 'balance_transactions', label: 'Balance transactions', description: 'Every movement of the account balance (charges, refunds, fees, payouts).', path: '/v1/balance_transactions' },
  { name: 'refunds', label: 'Refunds', description: `Refunds. ${NEW_OBJECTS_ONLY}`, path: '/v1/refunds' },
  { name: 'payment_intents', label: 'Payment intents', description: `Payment intents. ${NEW_OBJECTS_ONLY}`, path: '/v1/payment_intents' },
  { name: 'disputes', label: 'Disputes', description: `Disputes. ${NEW_OBJECTS_ONLY}`, path: '/v1/disputes' },
  { name: 'payouts', label: 'Payouts', description: `Payouts. ${NEW_OBJECTS_ONLY}`, path: '/v1/payouts' },
  { name: 'invoice_items', label: 'Invoice items', description: `Invoice items, pending and invoiced. ${NEW_OBJECTS_ONLY}`, path: '/v1/invoiceitems' },
  {
    name: 'events',
    label: 'Events',
    description: 'Events of the last 30 days (Stripe keeps no older ones): the change feed of every other table.',
    path: '/v1/events'
  }
] as const satisfies readonly DefinitionEndpoint[]

export type StripeTable = typeof STRIPE_ENDPOINTS[number]['name']
