/**
 * Deterministic data for the Stripe fake: the thirteen list resources the source syncs, shaped like
 * API version 2024-06-20 objects (`object` field, integer `created` in unix seconds, `livemode`,
 * `metadata`, nested objects, nullable fields, embedded `list` objects). Same spec and seed → same data.
 * Some objects share a `created` second with their neighbour, as real accounts do, so filters and
 * ordering are exercised on ties.
 */

import { rng } from './github-data.js'

export type Json = Record<string, unknown>

export const STRIPE_TABLES = [
  'customers', 'charges', 'invoices', 'subscriptions', 'products', 'prices', 'balance_transactions',
  'refunds', 'payment_intents', 'disputes', 'payouts', 'invoice_items', 'events'
] as const
export type StripeTable = typeof STRIPE_TABLES[number]

export interface ResourceSpec {
  /** List path. */
  path: string
  /** Id prefix (`cus`, `ch`, …). */
  prefix: string
  /** Value of each object's `object` field. */
  object: string
  /** The restricted-key permission Stripe names in a 403 for this resource. */
  permission: string
  /** Query params besides pagination and `created` that the list accepts (others are refused as unknown). */
  params?: string[]
}

export const RESOURCES: Record<StripeTable, ResourceSpec> = {
  customers: { path: '/v1/customers', prefix: 'cus', object: 'customer', permission: 'rak_customer_read', params: ['email', 'test_clock'] },
  charges: { path: '/v1/charges', prefix: 'ch', object: 'charge', permission: 'rak_charge_read', params: ['customer', 'payment_intent', 'transfer_group'] },
  invoices: { path: '/v1/invoices', prefix: 'in', object: 'invoice', permission: 'rak_invoice_read', params: ['customer', 'status', 'subscription', 'collection_method'] },
  subscriptions: { path: '/v1/subscriptions', prefix: 'sub', object: 'subscription', permission: 'rak_subscription_read', params: ['status', 'customer', 'price', 'collection_method'] },
  products: { path: '/v1/products', prefix: 'prod', object: 'product', permission: 'rak_product_read', params: ['active', 'shippable'] },
  prices: { path: '/v1/prices', prefix: 'price', object: 'price', permission: 'rak_plan_read', params: ['active', 'currency', 'product', 'type'] },
  balance_transactions: { path: '/v1/balance_transactions', prefix: 'txn', object: 'balance_transaction', permission: 'rak_balance_read', params: ['payout', 'source', 'type', 'currency'] },
  refunds: { path: '/v1/refunds', prefix: 're', object: 'refund', permission: 'rak_refund_read', params: ['charge', 'payment_intent'] },
  payment_intents: { path: '/v1/payment_intents', prefix: 'pi', object: 'payment_intent', permission: 'rak_payment_intent_read', params: ['customer'] },
  disputes: { path: '/v1/disputes', prefix: 'dp', object: 'dispute', permission: 'rak_dispute_read', params: ['charge', 'payment_intent'] },
  payouts: { path: '/v1/payouts', prefix: 'po', object: 'payout', permission: 'rak_payout_read', params: ['status', 'destination', 'arrival_date'] },
  invoice_items: { path: '/v1/invoiceitems', prefix: 'ii', object: 'invoiceitem', permission: 'rak_invoice_item_read', params: ['customer', 'invoice', 'pending'] },
  events: { path: '/v1/events', prefix: 'evt', object: 'event', permission: 'rak_event_read', params: ['type', 'types', 'delivery_success'] }
}

export const DEFAULT_COUNTS: Record<StripeTable, number> = {
  customers: 250,
  charges: 120,
  invoices: 40,
  subscriptions: 30,
  products: 12,
  prices: 20,
  balance_transactions: 60,
  refunds: 9,
  payment_intents: 45,
  disputes: 4,
  payouts: 8,
  invoice_items: 25,
  events: 70
}

/** 2025-01-01T00:00:00Z: the oldest object of every resource. */
export const FIRST_CREATED = 1_735_689_600

function pick<T> (random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T
}

function idOf (prefix: string, account: string, seq: number): string {
  return `${prefix}_${account.slice(-4)}${seq.toString(36).padStart(10, '0')}`
}

const CURRENCIES = ['usd', 'eur', 'gbp'] as const

function address (random: () => number): Json | null {
  if (random() < 0.3) return null
  return {
    city: pick(random, ['Berlin', 'Lisbon', 'Austin', 'Osaka']),
    country: pick(random, ['DE', 'PT', 'US', 'JP']),
    line1: `${Math.floor(random() * 200) + 1} Market Street`,
    line2: random() < 0.5 ? null : 'Suite 4',
    postal_code: String(10000 + Math.floor(random() * 89999)),
    state: null
  }
}

/** The body of one object (without id/object/created/livemode), by resource. */
function bodyOf (table: StripeTable, seq: number, random: () => number, account: string): Json {
  const amount = 100 + Math.floor(random() * 99_900)
  const currency = pick(random, CURRENCIES)
  const customer = idOf('cus', account, 1 + Math.floor(random() * 50))
  switch (table) {
    case 'customers':
      return {
        email: random() < 0.1 ? null : `customer${seq}@example.com`,
        name: random() < 0.15 ? null : `Customer ${seq}`,
        address: address(random),
        balance: 0,
        currency: random() < 0.2 ? null : currency,
        delinquent: random() < 0.05,
        description: null,
        invoice_settings: { custom_fields: null, default_payment_method: null, footer: null },
        metadata: random() < 0.5 ? {} : { crm_id: `crm-${seq}` },
        tax_exempt: 'none'
      }
    case 'charges':
      return {
        amount,
        amount_captured: amount,
        amount_refunded: random() < 0.1 ? amount : 0,
        currency,
        customer: random() < 0.2 ? null : customer,
        paid: true,
        status: pick(random, ['succeeded', 'succeeded', 'succeeded', 'failed', 'pending']),
        billing_details: { address: address(random), email: null, name: `Payer ${seq}`, phone: null },
        outcome: { network_status: 'approved_by_network', risk_level: 'normal', risk_score: Math.floor(random() * 100), seller_message: 'Payment complete.', type: 'authorized' },
        payment_method_details: { type: 'card', card: { brand: pick(random, ['visa', 'mastercard', 'amex']), last4: String(1000 + Math.floor(random() * 8999)), exp_month: 1 + Math.floor(random() * 12), exp_year: 2030 } },
        refunds: { object: 'list', data: [], has_more: false, total_count: 0, url: `/v1/charges/${idOf('ch', account, seq)}/refunds` },
        failure_code: null,
        metadata: {}
      }
    case 'invoices':
      return {
        customer,
        amount_due: amount,
        amount_paid: random() < 0.7 ? amount : 0,
        currency,
        status: pick(random, ['draft', 'open', 'paid', 'paid', 'void', 'uncollectible']),
        subscription: random() < 0.3 ? null : idOf('sub', account, 1 + Math.floor(random() * 30)),
        lines: { object: 'list', data: [{ id: `il_${seq}`, object: 'line_item', amount, currency, description: `Line ${seq}`, period: { start: FIRST_CREATED, end: FIRST_CREATED + 2_592_000 } }], has_more: false, url: `/v1/invoices/${idOf('in', account, seq)}/lines` },
        due_date: random() < 0.5 ? null : FIRST_CREATED + seq * 86_400,
        metadata: {}
      }
    case 'subscriptions':
      return {
        customer,
        status: pick(random, ['active', 'active', 'trialing', 'past_due', 'canceled', 'canceled', 'incomplete_expired']),
        cancel_at_period_end: random() < 0.1,
        canceled_at: null,
        currency,
        items: { object: 'list', data: [{ id: `si_${seq}`, object: 'subscription_item', quantity: 1 + Math.floor(random() * 5), price: { id: idOf('price', account, 1 + Math.floor(random() * 20)), object: 'price', unit_amount: amount } }], has_more: false, total_count: 1, url: `/v1/subscription_items?subscription=${idOf('sub', account, seq)}` },
        trial_end: random() < 0.7 ? null : FIRST_CREATED + 1_209_600,
        metadata: {}
      }
    case 'products':
      return { active: random() < 0.85, name: `Product ${seq}`, description: random() < 0.4 ? null : `The ${seq}th product`, images: [], default_price: null, package_dimensions: null, shippable: null, metadata: {} }
    case 'prices':
      return {
        active: true,
        currency,
        product: idOf('prod', account, 1 + Math.floor(random() * 12)),
        type: random() < 0.6 ? 'recurring' : 'one_time',
        unit_amount: amount,
        recurring: random() < 0.6 ? { interval: pick(random, ['month', 'year']), interval_count: 1, usage_type: 'licensed', meter: null } : null,
        lookup_key: null,
        nickname: null,
        metadata: {}
      }
    case 'balance_transactions':
      return { amount, currency, fee: Math.floor(amount * 0.029) + 30, net: amount - Math.floor(amount * 0.029) - 30, status: pick(random, ['available', 'pending']), type: pick(random, ['charge', 'refund', 'payout', 'stripe_fee']), fee_details: [{ amount: 30, currency, description: 'Stripe processing fees', type: 'stripe_fee', application: null }], source: idOf('ch', account, seq), available_on: FIRST_CREATED + seq * 3_600 + 172_800, description: null }
    case 'refunds':
      return { amount, currency, charge: idOf('ch', account, 1 + Math.floor(random() * 120)), payment_intent: null, reason: random() < 0.5 ? null : 'requested_by_customer', status: 'succeeded', metadata: {} }
    case 'payment_intents':
      return { amount, currency, customer: random() < 0.2 ? null : customer, status: pick(random, ['succeeded', 'requires_payment_method', 'canceled', 'processing']), latest_charge: random() < 0.3 ? null : idOf('ch', account, seq), payment_method_types: ['card'], last_payment_error: null, automatic_payment_methods: { enabled: true, allow_redirects: 'always' }, metadata: {} }
    case 'disputes':
      return { amount, currency, charge: idOf('ch', account, 1 + Math.floor(random() * 120)), reason: pick(random, ['fraudulent', 'product_not_received', 'duplicate']), status: pick(random, ['needs_response', 'won', 'lost']), evidence_details: { due_by: FIRST_CREATED + seq * 86_400, has_evidence: false, past_due: false, submission_count: 0 }, metadata: {} }
    case 'payouts':
      return { amount, currency, arrival_date: FIRST_CREATED + seq * 86_400, method: 'standard', status: pick(random, ['paid', 'pending', 'in_transit']), destination: `ba_${seq}`, failure_code: null, metadata: {} }
    case 'invoice_items':
      return { amount, currency, customer, invoice: random() < 0.5 ? null : idOf('in', account, 1 + Math.floor(random() * 40)), description: `Item ${seq}`, period: { start: FIRST_CREATED, end: FIRST_CREATED + 86_400 }, proration: false, quantity: 1, metadata: {} }
    case 'events':
      return {
        type: pick(random, ['customer.created', 'charge.succeeded', 'invoice.paid']),
        api_version: '2024-06-20',
        data: { object: { id: customer, object: 'customer', email: null }, previous_attributes: random() < 0.5 ? null : { email: 'old@example.com' } },
        pending_webhooks: 0,
        request: { id: random() < 0.5 ? null : `req_${seq}`, idempotency_key: null }
      }
  }
}

export interface StripeObject extends Json { id: string, created: number }

/** One new object of `table`, number `seq` (1-based), created at `created`. */
export function buildObject (table: StripeTable, seq: number, created: number, account: string, seed = 7): StripeObject {
  const spec = RESOURCES[table]
  const random = rng(seed * 1_000_003 + seq * 31 + STRIPE_TABLES.indexOf(table))
  return { id: idOf(spec.prefix, account, seq), object: spec.object, created, livemode: false, ...bodyOf(table, seq, random, account) }
}

/**
 * `count` objects of `table`, oldest first: an hour or so apart, every seventh one in the same second as
 * the one before it.
 */
export function buildObjects (table: StripeTable, count: number, account: string, seed = 7): StripeObject[] {
  const objects: StripeObject[] = []
  let created = FIRST_CREATED
  for (let seq = 1; seq <= count; seq++) {
    if (seq > 1 && seq % 7 !== 0) created += 1_800 + ((seq * 37) % 3_600)
    objects.push(buildObject(table, seq, created, account, seed))
  }
  return objects
}
