/**
 * The sample API's data: generated on demand from the dataset size alone, so every request for the
 * same size sees the same rows (no storage, any size up to DATASET_LIMITS.customers).
 *
 * Customer i (1-based) is created at EPOCH + i minutes and updated 0–40 s later; order j (1-based) of
 * a dataset with k orders per customer belongs to customer ⌈j/k⌉ and is created seconds after it.
 * Both `updated_at` sequences increase strictly with the id, so "ordered by id" is also "ordered by
 * updated_at", and the first row updated after an instant is found by binary search.
 */

export const DATASET_EPOCH_MS = Date.UTC(2024, 0, 1)
const MINUTE = 60_000
const SECOND = 1000

export const DATASET_LIMITS = {
  customers: 1_000_000,
  ordersPerCustomer: 10,
  pageSize: 1000,
  latencyMs: 5000
} as const

export const NOTES_PER_CUSTOMER_CYCLE = 5

const PLANS = ['free', 'team', 'business'] as const
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'BR', 'JP', 'IN', 'NL', 'ES', 'CA'] as const
const STATUSES = ['paid', 'pending', 'refunded', 'paid', 'paid'] as const
const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim'] as const
const LAST_NAMES = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Lee'] as const

function iso (ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z')
}

function pick<T> (list: readonly T[], n: number): T {
  return list[n % list.length] as T
}

export interface Customer {
  id: number
  name: string
  email: string
  country: string
  plan: string
  created_at: string
  updated_at: string
}

export interface Order {
  id: number
  customer_id: number
  amount_cents: number
  currency: string
  status: string
  created_at: string
  updated_at: string
}

export interface Note {
  id: number
  body: string
  author: string
  created_at: string
}

export function customerCreatedMs (id: number): number {
  return DATASET_EPOCH_MS + id * MINUTE
}

export function customerUpdatedMs (id: number): number {
  return customerCreatedMs(id) + (id % 5) * 10 * SECOND
}

export function customer (id: number): Customer {
  const first = pick(FIRST_NAMES, id)
  const last = pick(LAST_NAMES, Math.floor(id / FIRST_NAMES.length))
  return {
    id,
    name: `${first} ${last}`,
    email: `${first.toLowerCase()}.${last.toLowerCase()}.${id}@example.com`,
    country: pick(COUNTRIES, id * 7),
    plan: pick(PLANS, id),
    created_at: iso(customerCreatedMs(id)),
    updated_at: iso(customerUpdatedMs(id))
  }
}

function orderCustomer (id: number, perCustomer: number): { customerId: number, k: number } {
  return { customerId: Math.floor((id - 1) / perCustomer) + 1, k: (id - 1) % perCustomer }
}

export function orderCreatedMs (id: number, perCustomer: number): number {
  const { customerId, k } = orderCustomer(id, perCustomer)
  return customerCreatedMs(customerId) + (k * 5 + 1) * SECOND
}

export function orderUpdatedMs (id: number, perCustomer: number): number {
  return orderCreatedMs(id, perCustomer) + 2 * SECOND
}

export function order (id: number, perCustomer: number): Order {
  const { customerId } = orderCustomer(id, perCustomer)
  return {
    id,
    customer_id: customerId,
    amount_cents: 500 + (id * 7919) % 99_500,
    currency: pick(['EUR', 'USD', 'GBP'], id),
    status: pick(STATUSES, id * 3),
    created_at: iso(orderCreatedMs(id, perCustomer)),
    updated_at: iso(orderUpdatedMs(id, perCustomer))
  }
}

/** Customer i has i mod 5 notes, ids 10·i + 1 … 10·i + n, oldest first. */
export function notesCount (customerId: number): number {
  return customerId % NOTES_PER_CUSTOMER_CYCLE
}

export function note (customerId: number, k: number): Note {
  return {
    id: customerId * 10 + k,
    body: `Note ${k} about customer ${customerId}`,
    author: pick(FIRST_NAMES, customerId + k),
    created_at: iso(customerCreatedMs(customerId) + k * 15 * SECOND)
  }
}

/** Smallest id in [1, count] whose updated time is after `afterMs` (count + 1 when none). */
export function firstUpdatedAfter (count: number, afterMs: number, updatedMs: (id: number) => number): number {
  let lo = 1
  let hi = count + 1
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2)
    if (updatedMs(mid) > afterMs) hi = mid
    else lo = mid + 1
  }
  return lo
}
