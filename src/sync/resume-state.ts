/**
 * Resume tokens: the engine's state after a page, wrapped in an envelope that binds it to the source,
 * table, sync type and incremental field it came from, plus the run's watermarks so far. The token is
 * base64url JSON and a SHA-256 digest of it (`<body>.<digest>`): a token from another table, or an edited or
 * truncated one, is refused before streaming (400 naming `/resume_state`). The digest detects mistakes
 * and corruption; it is not a secret signature, and the state holds no credentials.
 */
import { createHash } from 'node:crypto'
import type { ResumeState } from '../engine/types.js'
import { ValidationError } from '../errors.js'
import type { SyncType } from '../sources/types.js'

const VERSION = 1
const PATH = '/resume_state'

/** What a token must match: the table it was issued for. */
export interface ResumeBinding {
  source: string
  schema: string
  syncType: SyncType
  incrementalField: string | null
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

interface Envelope {
  v: number
  source: string
  schema: string
  sync_type: SyncType
  incremental_field: string | null
  definition?: string
  engine: ResumeState
  last_value: string | number | null
  earliest_value: string | number | null
}

function digestOf (body: string): string {
  return createHash('sha256').update(body).digest('base64url').slice(0, 22)
}

export function encodeResumeToken (binding: ResumeBinding, point: ResumePoint): string {
  const envelope: Envelope = {
    v: VERSION,
    source: binding.source,
    schema: binding.schema,
    sync_type: binding.syncType,
    incremental_field: binding.incrementalField,
    ...(binding.definition === undefined ? {} : { definition: binding.definition }),
    engine: point.engine,
    last_value: point.watermarks.lastValue,
    earliest_value: point.watermarks.earliestValue
  }
  const body = Buffer.from(JSON.stringify(envelope)).toString('base64url')
  return `${body}.${digestOf(body)}`
}

function refuse (message: string): never {
  throw new ValidationError([{ path: PATH, message }])
}

function isWatermark (value: unknown): value is string | number | null {
  return value === null || typeof value === 'string' || typeof value === 'number'
}

/** Decode a token and check it belongs to `binding`; throws ValidationError naming /resume_state. */
export function decodeResumeToken (token: string, binding: ResumeBinding): ResumePoint {
  const [body, digest, ...rest] = token.split('.')
  if (body === undefined || digest === undefined || rest.length > 0 || body === '') refuse('is not a resume token issued by this service')
  if (digestOf(body) !== digest) refuse('is damaged or was edited (digest mismatch)')
  let envelope: Partial<Envelope>
  try {
    envelope = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Envelope>
  } catch {
    refuse('is not a resume token issued by this service')
  }
  if (typeof envelope !== 'object' || envelope === null) refuse('is not a resume token issued by this service')
  if (envelope.v !== VERSION) refuse(`has version ${String(envelope.v)}; this service reads version ${VERSION}`)
  const mismatches: string[] = []
  if (envelope.source !== binding.source) mismatches.push(`source "${String(envelope.source)}"`)
  if (envelope.schema !== binding.schema) mismatches.push(`table "${String(envelope.schema)}"`)
  if (envelope.sync_type !== binding.syncType) mismatches.push(`sync type "${String(envelope.sync_type)}"`)
  if ((envelope.incremental_field ?? null) !== binding.incrementalField) {
    mismatches.push(`incremental field "${String(envelope.incremental_field ?? null)}"`)
  }
  if ((envelope.definition ?? null) !== (binding.definition ?? null)) mismatches.push('another version of the source definition (manifest)')
  if (mismatches.length > 0) {
    refuse(`belongs to ${mismatches.join(', ')}, not to this request (source "${binding.source}", table "${binding.schema}", ` +
      `sync type "${binding.syncType}", incremental field "${String(binding.incrementalField)}")`)
  }
  if (typeof envelope.engine !== 'object' || envelope.engine === null || Array.isArray(envelope.engine)) refuse('has no engine state')
  if (!isWatermark(envelope.last_value) || !isWatermark(envelope.earliest_value)) refuse('has malformed watermarks')
  return {
    engine: envelope.engine,
    watermarks: { lastValue: envelope.last_value, earliestValue: envelope.earliest_value }
  }
}
