/**
 * One HTTP exchange through undici: SSRF check of every hop before it connects (only allowed origins),
 * manual redirects (same origin keeps credentials, another allowed origin drops them, https never
 * downgrades to http), timeouts from settings, and a body that is always read or dumped. Returns the
 * raw text; parsing and retry decisions belong to retry.ts.
 */
import type { Dispatcher } from 'undici'
import { AbortedError, BlockedTargetError, UpstreamNetworkError, UpstreamResponseError } from '../errors.js'
import { checkTarget, isOpenTarget, originOf, type TargetPolicy } from './ssrf.js'
import { redactUrl } from './redact.js'

/** Redirect hops followed per request. */
export const MAX_REDIRECTS = 5

export interface PreparedRequest {
  method: 'GET' | 'POST'
  url: URL
  headers: Record<string, string>
  body?: string
  /** Lower-case header names that carry credentials (dropped on cross-origin redirects). */
  credentialHeaders: ReadonlySet<string>
  /** Query params that carry the credential: re-added on same-origin redirects, never sent elsewhere. */
  credentialParams?: Readonly<Record<string, string>>
}

export interface RawResponse {
  status: number
  headers: Record<string, string>
  text: string
  /** The body's UTF-8 bytes that `text` was decoded from (no byte-order mark), where a body was read. */
  bytes?: Buffer
  url: string
}

export interface Transport {
  policy: TargetPolicy
  /** Dispatcher for targets checked at connect time (non-public addresses refused). */
  guarded: Dispatcher
  /** Dispatcher for allowed private/trusted targets. */
  open: Dispatcher
  headersTimeoutMs: number
  bodyTimeoutMs: number
}

/** A network failure that may succeed on retry (reset, timeout, refused). */
export class TransientNetworkError extends UpstreamNetworkError {}

const TRANSIENT_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED'
])

function flattenHeaders (raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

function errorCode (error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

function blockedCause (error: unknown): BlockedTargetError | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    if (current instanceof BlockedTargetError) return current
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

function mapFailure (error: unknown, url: URL, signal: AbortSignal): Error {
  if (signal.aborted) return new AbortedError('The run was cancelled.', { cause: signal.reason })
  const blocked = blockedCause(error)
  if (blocked !== undefined) return blocked
  const code = errorCode(error) ?? 'UNKNOWN'
  const where = redactUrl(url)
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return new UpstreamResponseError(`Response from ${where} exceeds the maximum body size.`, where, { cause: error })
  if (TRANSIENT_CODES.has(code)) return new TransientNetworkError(`Network error (${code}) calling ${where}.`, where, { cause: error })
  return new UpstreamNetworkError(`Network error (${code}) calling ${where}.`, where, { cause: error })
}

/**
 * Called with the final response's status and headers as soon as they arrive, before its body is read
 * (not for redirect hops that are followed).
 */
export type OnResponseHeaders = (status: number, headers: Record<string, string>, url: URL) => void

/** Called after the headers, before the body is read: a promise to wait on first (a turn), or undefined. */
export type BeforeBody = () => Promise<void> | undefined

/** The body as text, as undici's `text()` decodes it (UTF-8, a leading byte-order mark dropped), and the bytes it came from. */
function decodeBody (body: Uint8Array): { text: string, bytes: Buffer } {
  let bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  if (bytes.length > 2 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3)
  return { text: bytes.toString('utf8'), bytes }
}

async function exchangeOnce (transport: Transport, request: PreparedRequest, signal: AbortSignal, onHeaders?: OnResponseHeaders, beforeBody?: BeforeBody): Promise<RawResponse> {
  const { url } = request
  const dispatcher = isOpenTarget(url, transport.policy) ? transport.open : transport.guarded
  let response: Dispatcher.ResponseData
  try {
    response = await dispatcher.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal,
      headersTimeout: transport.headersTimeoutMs,
      bodyTimeout: transport.bodyTimeoutMs
    })
  } catch (error) {
    throw mapFailure(error, url, signal)
  }
  const headers = flattenHeaders(response.headers)
  if (response.statusCode >= 300 && response.statusCode < 400 && headers.location !== undefined) {
    await response.body.dump().catch(() => undefined)
    return { status: response.statusCode, headers, text: '', url: url.href }
  }
  onHeaders?.(response.statusCode, headers, url)
  try {
    // Waiting here, the body stays in the socket's buffers (TCP holds the rest back), not in the heap.
    const turn = beforeBody?.()
    if (turn !== undefined) await turn
    const { text, bytes } = decodeBody(await response.body.bytes())
    return { status: response.statusCode, headers, text, bytes, url: url.href }
  } catch (error) {
    await response.body.dump().catch(() => undefined)
    throw mapFailure(error, url, signal)
  }
}

/** Send a request, following redirects that pass the guard. */
export async function exchange (transport: Transport, request: PreparedRequest, signal: AbortSignal, onHeaders?: OnResponseHeaders, beforeBody?: BeforeBody): Promise<RawResponse> {
  let current = request
  for (let hop = 0; ; hop++) {
    if (signal.aborted) throw new AbortedError('The run was cancelled.', { cause: signal.reason })
    checkTarget(current.url, transport.policy)
    const response = await exchangeOnce(transport, current, signal, onHeaders, beforeBody)
    const location = response.headers.location
    if (response.status < 300 || response.status >= 400 || location === undefined) return response
    if (hop >= MAX_REDIRECTS) {
      throw new UpstreamNetworkError(`Too many redirects from ${redactUrl(request.url)}.`, redactUrl(request.url))
    }
    const target = new URL(location, current.url)
    if (current.url.protocol === 'https:' && target.protocol === 'http:') {
      throw new BlockedTargetError(`A redirect from ${redactUrl(current.url)} to http is refused: https never downgrades.`, { origin: originOf(target) })
    }
    current = redirectRequest(current, response.status, target)
  }
}

/** The request for a redirect hop: credentials only to the same origin; 303 (and 301/302 after POST) become GET. */
export function redirectRequest (previous: PreparedRequest, status: number, target: URL): PreparedRequest {
  const sameOrigin = originOf(target) === originOf(previous.url)
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(previous.headers)) {
    if (!sameOrigin && previous.credentialHeaders.has(name.toLowerCase())) continue
    headers[name] = value
  }
  const url = new URL(target)
  if (sameOrigin) for (const [name, value] of Object.entries(previous.credentialParams ?? {})) url.searchParams.set(name, value)
  const toGet = status === 303 || ((status === 301 || status === 302) && previous.method === 'POST')
  if (toGet) {
    delete headers['content-type']
    const { body: _body, ...rest } = previous
    return { ...rest, method: 'GET', url, headers }
  }
  return { ...previous, url, headers }
}
