/**
 * The `Stripe` source: its definition (form, client, credential check, error rules) registered with
 * defineRestSource. The endpoint catalog lives in settings.ts; Stripe needs no hooks.
 */
import type { SourceDefinition } from '../definition.js'
import { defineRestSource } from '../rest-source.js'
import { DEFAULT_API_BASE_URL, STRIPE_API_VERSION, STRIPE_DEFAULTS, STRIPE_ENDPOINTS } from './settings.js'

export const SOURCE_NAME = 'Stripe'

/**
 * Requests per second a sync may spend of the account's budget, chosen in the form: Stripe allows 25 a
 * second in test mode (sandboxes) and 100 in live mode, per account and shared with everything else
 * that uses the account, so the default leaves a live account three quarters of its budget.
 */
export const REQUESTS_PER_SECOND = ['25', '50', '100'] as const
export const DEFAULT_REQUESTS_PER_SECOND = 25
/** Stripe publishes no concurrency number; a sync pages one cursor at a time anyway. */
export const MAX_CONCURRENT = 4

const PERMISSIONS_HINT = 'A restricted key (rk_…) needs "Read" on each resource you sync (Customers, Charges, Invoices, Subscriptions, Products, Prices, Balance, Refunds, PaymentIntents, Disputes, Payouts, Invoice items, Events); edit it under Developers → API keys in the Stripe Dashboard.'
const REJECTED = 'Stripe rejected the API key (HTTP 401): check that it was copied whole (sk_… or rk_…) and has not been rolled or deleted.'
const NO_ACCOUNT = 'Stripe refused the connected account in "Connected account ID": it does not exist, or this key\'s platform has no access to it (Connect access may have been revoked).'

export const STRIPE_DEFINITION = {
  name: SOURCE_NAME,
  label: 'Stripe',
  caption: 'Sync customers, charges, invoices, subscriptions, products, prices, balance transactions, refunds, payouts, disputes and events from Stripe.',
  category: 'Payments & billing',
  icon: 'icon.svg',
  docsUrl: 'https://docs.stripe.com/api',
  releaseStatus: 'beta',
  betaSource: true,
  keywords: ['stripe', 'payments', 'billing', 'subscriptions', 'invoices'],
  permissionsCaption: PERMISSIONS_HINT,
  suggestedTables: [{ table: 'charges' }, { table: 'customers' }, { table: 'subscriptions' }, { table: 'invoices' }],
  fields: [
    {
      type: 'password',
      name: 'stripe_secret_key',
      label: 'API key',
      required: true,
      placeholder: 'rk_live_...',
      secret: true,
      caption: 'A restricted key (rk_…) with Read access to the resources you sync is safest; a secret key (sk_…) works too.'
    },
    {
      type: 'text',
      name: 'stripe_account_id',
      label: 'Connected account ID',
      required: false,
      placeholder: 'acct_...',
      caption: 'Only for Stripe Connect platforms: sync this connected account instead of your own (sent as the Stripe-Account header).'
    },
    {
      type: 'select',
      name: 'requests_per_second',
      label: 'Requests per second',
      required: false,
      defaultValue: String(DEFAULT_REQUESTS_PER_SECOND),
      converter: 'str_to_int',
      options: [
        { label: '25 (default; the test-mode limit)', value: '25' },
        { label: '50 (half of the live-mode limit)', value: '50' },
        { label: '100 (all of the live-mode limit)', value: '100' }
      ],
      caption: 'How much of the account\'s API budget a sync may use. Stripe allows 100 requests a second in live mode, shared with your own integration.'
    }
  ],
  client: {
    baseUrl: { default: DEFAULT_API_BASE_URL },
    auth: { type: 'bearer', token: { field: 'stripe_secret_key' } },
    headers: { 'Stripe-Version': STRIPE_API_VERSION, 'Stripe-Account': { field: 'stripe_account_id' } },
    budgets: {
      default: { reservoir: { field: 'requests_per_second', default: DEFAULT_REQUESTS_PER_SECOND }, intervalMs: 1_000, maxConcurrent: MAX_CONCURRENT }
    },
    // Stripe says per response whether a retry can succeed (a lock timeout: yes; a permanent failure: no).
    retryHintHeader: 'stripe-should-retry'
  },
  defaults: STRIPE_DEFAULTS,
  endpoints: STRIPE_ENDPOINTS,
  check: {
    steps: [{ path: '/v1/customers', params: { limit: 1 }, dataSelector: 'data', expect: 'list' }],
    outcomes: [
      { status: 401, code: 'INVALID_CREDENTIALS', message: REJECTED },
      { status: 403, vendorMessage: 'does not have access to account', code: 'ACCOUNT_NOT_FOUND', message: NO_ACCOUNT },
      { status: 403, code: 'MISSING_PERMISSION', message: `The key may not read Customers (403), which the check reads. ${PERMISSIONS_HINT}` },
      { unexpectedBody: true, code: 'UNEXPECTED_RESPONSE', message: 'The answer of {base_url}/v1/customers is not a Stripe list: is this the Stripe API?' }
    ]
  },
  errors: [
    { status: 401, message: 'Stripe rejected the API key (HTTP 401). Reconnect the source with a valid key.' },
    { status: 403, vendorMessage: 'does not have access to account', message: NO_ACCOUNT },
    // Stripe names the missing permission ("Having the 'rak_charge_read' permission would allow this request…").
    { status: 403, vendorPattern: "having the '(rak_[a-z0-9_]+)' permission", message: `The key may not read {path}: it lacks the {match} permission (403). ${PERMISSIONS_HINT}` },
    { status: 403, message: `The key may not read {path} (403). ${PERMISSIONS_HINT}` },
    // A `starting_after` object deleted between two pages: resuming from the same state fails again.
    { status: 400, vendorMessage: 'No such', message: 'The object this resume point starts after no longer exists in Stripe; restart the sync without resume_state.' }
  ]
} as const satisfies SourceDefinition

export const stripeSource = defineRestSource(STRIPE_DEFINITION, {}, { baseDir: new URL('.', import.meta.url) })
