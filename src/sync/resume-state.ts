/**
 * Resume tokens: the engine's state after a page, wrapped in an envelope that binds it to the source,
 * table, sync type and incremental field it came from, plus the run's watermarks so far. The token is
 * base64url JSON and an HMAC-SHA-256 tag over it (`<body>.<tag>`) under the service's secret
 * (RESUME_TOKEN_SECRET; several rotate: sign with the first, accept any). A token from another table,
 * or an edited, truncated or foreign one, is refused before streaming (400 naming `/resume_state`).
 * Tokens hold no credentials and no origins where the base URL is configuration (engine request-state.ts).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { ResumeState } from '../engine/types.js'
import { ValidationError } from '../errors.js'
import type { SyncType } from '../sources/types.js'

/** Envelope version: 2 is HMAC-signed with defaults left out (version 1 tokens are refused by name). */
const VERSION = 2
const PATH = '/resume_state'
/** Tag length in base64url characters (132 bits of the HMAC). */
const TAG_CHARS = 22
/** Shortest accepted secret, in bytes. */
export const MIN_SECRET_BYTES = 32

/** What a token must match: the table it was issued for, and the watermarks the run was asked to start from. */
export interface ResumeBinding {
  source: string
  schema: string
  syncType: SyncType
  incrementalField: string | null
  /**
   * The request's `last_value` / `earliest_value` (absent: null). A resumed request is rebuilt on them
   * (they become request params), so resuming with other values would mix two filters in one run.
   */
  requested?: Watermarks
  /** Digest of the definition the source ran (manifest sources): a token from another version is refused. */
  definition?: string
}

export interface Watermarks {
  lastValue: string | number | null
  earliestValue: string | number | null
}

export interface ResumePoint {
  /** The engine's state after the page. */
  engine: ResumeState
  /** Watermarks over the rows sent so far in the run (before and after earlier resumes). */
  watermarks: Watermarks
}

/**
 * The JSON inside a token. A state line follows every page, so keys are one letter and null fields are
 * left out: s source, t table, y sync type, f incremental field, e engine state, l/a last/earliest value
 * so far, r the requested watermarks.
 */
interface Envelope {
  v: number
  s: string
  t: string
  y: SyncType
  f?: string
  e: ResumeState
  l?: string | number
  a?: string | number
  /** The requested [last_value, earliest_value] when either is set. */
  r?: [string | number | null, string | number | null]
  /** The definition digest (manifest sources). */
  d?: string
}

function refuse (message: string): never {
  throw new ValidationError([{ path: PATH, message }])
}

function isWatermark (value: unknown): value is string | number | null {
  return value === null || typeof value === 'string' || typeof value === 'number'
}

function requestedOf (binding: ResumeBinding): [string | number | null, string | number | null] {
  return [binding.requested?.lastValue ?? null, binding.requested?.earliestValue ?? null]
}

/** A fresh random secret, for a service started without RESUME_TOKEN_SECRET (tokens die with the process). */
export function generateResumeSecret (): string {
  return randomBytes(MIN_SECRET_BYTES).toString('base64url')
}

/** Signs and checks resume tokens under the service's secrets (the first signs; any verifies). */
export class ResumeTokens {
  readonly #keys: Buffer[]

  constructor (secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('ResumeTokens needs at least one secret.')
    this.#keys = secrets.map((secret) => {
      const key = Buffer.from(secret, 'utf8')
      if (key.length < MIN_SECRET_BYTES) throw new Error(`A resume token secret must be at least ${MIN_SECRET_BYTES} bytes.`)
      return key
    })
  }

  #tag (key: Buffer, body: string): Buffer {
    return Buffer.from(createHmac('sha256', key).update(body).digest('base64url').slice(0, TAG_CHARS))
  }

  encode (binding: ResumeBinding, point: ResumePoint): string {
    const envelope: Envelope = { v: VERSION, s: binding.source, t: binding.schema, y: binding.syncType, e: point.engine }
    if (binding.incrementalField !== null) envelope.f = binding.incrementalField
    if (point.watermarks.lastValue !== null) envelope.l = point.watermarks.lastValue
    if (point.watermarks.earliestValue !== null) envelope.a = point.watermarks.earliestValue
    const requested = requestedOf(binding)
    if (requested[0] !== null || requested[1] !== null) envelope.r = requested
    if (binding.definition !== undefined) envelope.d = binding.definition
    const body = Buffer.from(JSON.stringify(envelope)).toString('base64url')
    return `${body}.${this.#tag(this.#keys[0] as Buffer, body).toString()}`
  }

  /** Decode a token and check it belongs to `binding`; throws ValidationError naming /resume_state. */
  decode (token: string, binding: ResumeBinding): ResumePoint {
    const [body, tag, ...rest] = token.split('.')
    if (body === undefined || tag === undefined || rest.length > 0 || body === '') refuse('is not a resume token issued by this service')
    const given = Buffer.from(tag)
    let verified = false
    for (const key of this.#keys) {
      const expected = this.#tag(key, body)
      if (expected.length === given.length && timingSafeEqual(expected, given)) verified = true
    }
    if (!verified) refuse('is damaged, was edited, or was signed with a secret this service does not hold (signature mismatch)')
    let envelope: Partial<Envelope>
    try {
      envelope = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Envelope>
    } catch {
      refuse('is not a resume token issued by this service')
    }
    if (typeof envelope !== 'object' || envelope === null) refuse('is not a resume token issued by this service')
    if (envelope.v !== VERSION) refuse(`has version ${String(envelope.v)}; this service reads version ${VERSION}`)
    const field = envelope.f ?? null
    const mismatches: string[] = []
    if (envelope.s !== binding.source) mismatches.push(`source "${String(envelope.s)}"`)
    if (envelope.t !== binding.schema) mismatches.push(`table "${String(envelope.t)}"`)
    if (envelope.y !== binding.syncType) mismatches.push(`sync type "${String(envelope.y)}"`)
    if (field !== binding.incrementalField) mismatches.push(`incremental field "${String(field)}"`)
    if ((envelope.d ?? null) !== (binding.definition ?? null)) mismatches.push('another version of the source definition (manifest)')
    const requested = requestedOf(binding)
    const issued = envelope.r ?? [null, null]
    if (mismatches.length === 0 && (issued[0] !== requested[0] || issued[1] !== requested[1])) {
      refuse(`was issued for last_value ${JSON.stringify(issued[0])} and earliest_value ${JSON.stringify(issued[1])}; ` +
        'resume with the values the run started with')
    }
    if (mismatches.length > 0) {
      refuse(`belongs to ${mismatches.join(', ')}, not to this request (source "${binding.source}", table "${binding.schema}", ` +
        `sync type "${binding.syncType}", incremental field "${String(binding.incrementalField)}")`)
    }
    if (typeof envelope.e !== 'object' || envelope.e === null || Array.isArray(envelope.e)) refuse('has no engine state')
    const lastValue = envelope.l ?? null
    const earliestValue = envelope.a ?? null
    if (!isWatermark(lastValue) || !isWatermark(earliestValue)) refuse('has malformed watermarks')
    return { engine: envelope.e, watermarks: { lastValue, earliestValue } }
  }
}
