/**
 * Logger configuration: pino JSON lines, one request id per request, and redaction by configuration of
 * credentials: `authorization` headers and every config field any registered source declares secret,
 * wherever a log call puts them (a config object, a nested auth block, a bare field).
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino'
import type { Settings } from './settings.js'

export const REDACTED = '[REDACTED]'

/** How deep below the top of a log object a secret field is still found (config.auth_type.password is 3). */
const SECRET_SEARCH_DEPTH = 4

const HEADER_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'headers.authorization',
  'headers["proxy-authorization"]',
  '*.headers.authorization',
  '*.headers["proxy-authorization"]'
]

function segment (name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : `[${JSON.stringify(name)}]`
}

/** pino redact paths for the given secret field names, at every depth up to SECRET_SEARCH_DEPTH. */
export function redactPaths (secretFieldNames: readonly string[]): string[] {
  const paths = [...HEADER_PATHS]
  for (const name of new Set(secretFieldNames)) {
    const key = segment(name)
    for (let depth = 0; depth < SECRET_SEARCH_DEPTH; depth++) {
      const prefix = '*.'.repeat(depth)
      paths.push(key.startsWith('[') ? (depth === 0 ? key : prefix.slice(0, -1) + key) : prefix + key)
    }
  }
  return paths
}

export interface LoggingOptions {
  level: Settings['LOG_LEVEL']
  secretFieldNames: readonly string[]
}

export function loggerOptions (options: LoggingOptions): LoggerOptions {
  return {
    level: options.level,
    redact: { paths: redactPaths(options.secretFieldNames), censor: REDACTED },
    base: { service: 'warehouse-sources' },
    timestamp: pino.stdTimeFunctions.isoTime
  }
}

export function createLogger (options: LoggingOptions, destination?: DestinationStream): Logger {
  return destination === undefined ? pino(loggerOptions(options)) : pino(loggerOptions(options), destination)
}

export const REQUEST_ID_HEADER = 'x-request-id'
const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/

/** Keep a caller's request id when it is short and plain (no log injection); otherwise a new UUID. */
export function requestId (request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER]
  return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID()
}
