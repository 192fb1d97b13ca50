/**
 * Rate-limit budgets shared across replicas, in Redis (opt-in: REDIS_URL). One Lua script holds, per
 * (source, credential fingerprint, class), the same sliding window as the in-process limiter
 * (rate-limit.ts): a log of answered requests (answer time, on Redis's clock) plus in-flight leases
 * with a TTL, a pause (429 Retry-After, remaining 0), header-driven spacing and the last start. An
 * admission is one atomic script call: either the request gets a lease, or the caller learns how
 * long to wait. Keys carry no secret (the credential is a fingerprint) and expire when idle.
 *
 * Why not Bottleneck's own Redis clustering: measured in bench/redis/bottleneck-cluster.ts (see
 * bench/README.md): its reservoir refills are fixed windows or a token bucket driven by a heartbeat,
 * which let 3 starts into one sliding second of a 2/s budget; it counts a request at its start, not
 * until its answer; and it has no pause, so a 429's 3 s Retry-After held the other replica ~1 s.
 * Bottleneck still queues each replica's jobs locally.
 *
 * When Redis is unreachable, callers fall back to a local share of the budget (rate-limit.ts); this
 * module only says so (`available`), logs each outage once and counts it.
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { SHARED_BUDGET_SCRIPT } from './shared-budget-script.js'

/** A lease not renewed for this long is counted as answered (its replica died mid-request). */
export const LEASE_TTL_MS = 30_000
/**
 * A Redis command not answered within this is treated as Redis being unreachable. A closed or refused
 * connection is noticed at once; this only catches a hung Redis. Generous, because an event loop
 * stalled for longer fires the timer before it reads the answer, and a replica that falls back alone
 * while the others still share the window can push the total over the budget.
 */
export const COMMAND_TIMEOUT_MS = 3_000
/**
 * Switching between the shared window and the local share, a replica does not know what the others
 * just did: on entering the fallback it first lets one window pass (requests admitted through Redis
 * just before the outage leave it), and for one window after Redis returns it admits only what both
 * Redis and its local share allow. At most this long, so a budget per hour does not stall for an hour
 * (such vendors send remaining/reset headers, which pause as usual).
 */
export const SWITCH_QUIET_MAX_MS = 10_000
/** How often an admission waiting for an answer (window full of in-flight requests, max concurrency) asks again. */
export const ANSWER_POLL_MS = 20

export interface SharedBudgetSettings {
  /** redis:// or rediss:// URL; may carry a password: never logged. */
  url: string
  /** Prefix of every key (several services may share one Redis). */
  keyPrefix: string
  /** While Redis is unreachable each replica uses its source's budget divided by this. */
  replicas: number
  leaseTtlMs?: number
  commandTimeoutMs?: number
}

/** Counters for /metrics (read them; never reset). */
export interface SharedBudgetCounters {
  /** Admissions that waited on the shared window (pause, spacing, budget or concurrency). */
  waits: number
  /** Total time those admissions waited, in ms. */
  waitMs: number
  /** Admissions decided on the local fallback budget because Redis was unreachable. */
  fallbackAdmissions: number
  /** Times Redis became unreachable (each logged once). */
  outages: number
}

export type SharedBudgetState = 'connecting' | 'connected' | 'unavailable' | 'closed'

/** The budget as the script reads it. */
export interface WindowBudget {
  reservoir?: number
  /** `intervalMs` plus the clock-granularity margin. */
  windowMs?: number
  maxConcurrent?: number
  minTimeMs?: number
}

export interface AdmitReply {
  /** 0: admitted (the lease is held); otherwise ask again after this many ms. */
  waitMs: number
  /** A pause in force in Redis (ms left), to remember locally should Redis go away. */
  pausedMs: number
}

/** Requests admitted while Redis was away: handed over with the next admission so the shared window sees them. */
export interface Handover {
  /** How long ago each such request was answered. */
  answeredAgesMs: number[]
  /** Leases of such requests still in flight. */
  inflight: string[]
}

type ScriptArgs = Array<string | number>
interface BudgetRedis extends Redis {
  sharedBudget: (log: string, inflight: string, state: string, ...args: ScriptArgs) => Promise<unknown>
}

function budgetArgs (op: string, lease: string, budget: WindowBudget, ttl: number): ScriptArgs {
  return [op, lease, budget.reservoir ?? '', budget.windowMs ?? '', budget.maxConcurrent ?? '', budget.minTimeMs ?? 0, ttl]
}

/** One shared window: the Redis keys of one (source, credential fingerprint, class). */
export class SharedWindow {
  private readonly keys: [string, string, string]

  constructor (private readonly store: SharedBudgetStore, base: string) {
    this.keys = [`${base}:log`, `${base}:inflight`, `${base}:state`]
  }

  /** One atomic admission attempt; undefined when Redis did not answer (the caller falls back). */
  async admit (lease: string, budget: WindowBudget, localPauseMs: number, handover?: Handover): Promise<AdmitReply | undefined> {
    const ages = handover?.answeredAgesMs ?? []
    const reply = await this.store.call(this.keys, [
      ...budgetArgs('admit', lease, budget, this.store.leaseTtlMs), Math.max(0, Math.ceil(localPauseMs)), '', ANSWER_POLL_MS,
      ages.length, ...ages.map((a) => Math.max(0, Math.round(a))), ...(handover?.inflight ?? [])
    ])
    if (!Array.isArray(reply)) return undefined
    // Handed-over leases now live in Redis: renew them like our own until they are released.
    for (const id of handover?.inflight ?? []) this.store.held(id, this)
    const waitMs = Number(reply[0])
    if (waitMs === 0) this.store.held(lease, this)
    return { waitMs, pausedMs: Number(reply[1]) }
  }

  /** The request holding `lease` got its answer (or failed): it now counts for one window from here. */
  release (lease: string, budget: WindowBudget): void {
    this.store.dropped(lease)
    if (!this.store.available) return // the lease expires by itself and is then counted as answered
    void this.store.call(this.keys, budgetArgs('release', lease, budget, this.store.leaseTtlMs))
  }

  pause (ms: number, budget: WindowBudget): void {
    if (!this.store.available || ms <= 0) return
    void this.store.call(this.keys, [...budgetArgs('pause', '', budget, this.store.leaseTtlMs), Math.ceil(ms)])
  }

  spacing (spacingMs: number, forMs: number, budget: WindowBudget): void {
    if (!this.store.available) return
    void this.store.call(this.keys, [...budgetArgs('spacing', '', budget, this.store.leaseTtlMs), 0, spacingMs, forMs])
  }

  /** @internal keep in-flight leases alive (called by the store's renewal timer). */
  async renew (leases: string[]): Promise<void> {
    await this.store.call(this.keys, [...budgetArgs('renew', '', {}, this.store.leaseTtlMs), 0, 0, 0, 0, ...leases])
  }
}

/** One Redis connection per app: windows by key, availability, lease renewal, counters. */
export class SharedBudgetStore {
  readonly counters: SharedBudgetCounters = { waits: 0, waitMs: 0, fallbackAdmissions: 0, outages: 0 }
  readonly replicas: number
  readonly leaseTtlMs: number
  /** A random id of this process: lease names never collide between replicas. */
  readonly replicaId = randomBytes(6).toString('hex')
  private readonly redis: BudgetRedis
  private readonly prefix: string
  private readonly leases = new Map<string, SharedWindow>()
  private readonly renewTimer: NodeJS.Timeout
  private readonly recoverListeners: Array<() => void> = []
  private stateNow: SharedBudgetState = 'connecting'
  private seq = 0
  /** Local time the current outage (or the first connection attempt) began, and Redis last returned after an outage. */
  private unavailableAt = Date.now()
  private recoveredAt = 0

  constructor (settings: SharedBudgetSettings, private readonly log: Logger) {
    this.replicas = Math.max(1, settings.replicas)
    this.leaseTtlMs = settings.leaseTtlMs ?? LEASE_TTL_MS
    this.prefix = settings.keyPrefix
    this.redis = new Redis(settings.url, {
      // Fail fast while disconnected (callers fall back) instead of queueing commands.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: settings.commandTimeoutMs ?? COMMAND_TIMEOUT_MS,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(50 * times, 1_000),
      lazyConnect: false
    }) as BudgetRedis
    this.redis.defineCommand('sharedBudget', { numberOfKeys: 3, lua: SHARED_BUDGET_SCRIPT })
    this.redis.on('ready', () => { this.up() })
    this.redis.on('close', () => { this.down() })
    // ioredis reports connection errors here and reconnects by itself; `close` marks the outage.
    this.redis.on('error', () => undefined)
    this.renewTimer = setInterval(() => { this.renewAll() }, Math.max(100, Math.floor(this.leaseTtlMs / 3)))
    this.renewTimer.unref()
  }

  get state (): SharedBudgetState { return this.stateNow }
  get available (): boolean { return this.stateNow === 'connected' }

  /** While Redis is away: until when a window of `windowMs` must wait before the local share admits. */
  fallbackQuietUntil (windowMs: number): number {
    return this.unavailableAt + Math.min(windowMs, SWITCH_QUIET_MAX_MS)
  }

  /** With Redis back after an outage: whether the local share must still agree (see SWITCH_QUIET_MAX_MS). */
  recovering (windowMs: number, now = Date.now()): boolean {
    return this.recoveredAt > 0 && now < this.recoveredAt + Math.min(windowMs, SWITCH_QUIET_MAX_MS)
  }

  /** Resolves once connected (true), on a failed first connection or after `timeoutMs` (false: starting on the local fallback). */
  async whenConnected (timeoutMs: number): Promise<boolean> {
    if (this.available) return true
    if (this.stateNow !== 'connecting') return false
    return await new Promise<boolean>((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        this.redis.off('ready', done)
        this.redis.off('close', done)
        resolve(this.available)
      }
      const timer = setTimeout(done, timeoutMs)
      // `close` before any `ready`: the first connection failed; start on the local share at once.
      this.redis.once('ready', done)
      this.redis.once('close', done)
    })
  }

  /** Keys for (source, fingerprint, class); braces make the three keys one Redis Cluster slot. */
  window (source: string, fingerprint: string, rateClass: string): SharedWindow {
    const clean = (s: string): string => s.replace(/[{}:\s]/g, '_')
    return new SharedWindow(this, `${this.prefix}rl:{${clean(source)}:${clean(fingerprint)}:${clean(rateClass)}}`)
  }

  nextLease (): string { return `${this.replicaId}:${++this.seq}` }

  /** Runs `listener` each time Redis is reachable again after an outage. */
  onRecover (listener: () => void): void { this.recoverListeners.push(listener) }

  /** @internal */
  async call (keys: [string, string, string], args: ScriptArgs): Promise<unknown> {
    if (!this.available) return undefined
    try {
      return await this.redis.sharedBudget(keys[0], keys[1], keys[2], ...args)
    } catch (error) {
      this.down(error)
      return undefined
    }
  }

  /** @internal */
  held (lease: string, window: SharedWindow): void { this.leases.set(lease, window) }
  /** @internal */
  dropped (lease: string): void { this.leases.delete(lease) }

  async close (): Promise<void> {
    clearInterval(this.renewTimer)
    this.stateNow = 'closed'
    this.redis.disconnect()
  }

  private up (): void {
    if (this.stateNow === 'closed') return
    const recovering = this.stateNow === 'unavailable'
    this.stateNow = 'connected'
    if (!recovering) return
    this.recoveredAt = Date.now()
    this.log.info({ component: 'shared-budget' }, 'Redis reachable again: rate-limit budgets are shared again')
    for (const listener of this.recoverListeners) listener()
  }

  private down (error?: unknown): void {
    if (this.stateNow === 'unavailable' || this.stateNow === 'closed') return
    if (this.stateNow === 'connected') this.unavailableAt = Date.now()
    this.stateNow = 'unavailable'
    this.counters.outages++
    // Never the URL (it may hold a password); the error code only.
    const code = (error as { code?: unknown } | undefined)?.code
    this.log.warn({ component: 'shared-budget', replicas: this.replicas, ...(typeof code === 'string' ? { code } : {}) },
      'Redis unreachable: rate-limit budgets fall back to a local share (budget / replicas) until it returns')
    // A command that timed out leaves the connection up: force a reconnect so `ready` marks the recovery.
    if (this.redis.status === 'ready') this.redis.disconnect(true)
  }

  private renewAll (): void {
    if (!this.available || this.leases.size === 0) return
    const byWindow = new Map<SharedWindow, string[]>()
    for (const [lease, window] of this.leases) {
      const list = byWindow.get(window) ?? []
      list.push(lease)
      byWindow.set(window, list)
    }
    for (const [window, leases] of byWindow) void window.renew(leases)
  }
}
