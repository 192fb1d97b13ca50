/**
 * Logger configuration: pino JSON lines, one request id per request, and redaction by configuration of
 * credentials: `authorization` headers and every config field any registered source declares secret,
 * wherever a log call puts them (a config object, a nested auth block, a bare field).
 *
 * The redact paths are pino-style (`a.b`, `*`, `["x-auth"]`), but they are applied by `pathRedactor`
 * (as pino's log and bindings formatters) rather than by pino's `redact` option: pino runs a wildcard
 * path's redactor on every value of every line, strings and numbers included (~8 µs a line and ~3 µs a
 * child logger with our paths), while `pathRedactor` only walks objects, along a precomputed automaton
 * of the paths (an access line of four plain values costs four map lookups).
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

/** One state of the path automaton: the set of path positions reached by the keys read so far. */
interface RedactState {
  /** Next state for keys some path names literally. */
  literal: Map<string, RedactState>
  /** Next state for any other key (wildcards only), or none. */
  otherwise: RedactState | undefined
  /** A path ends here: the value at this key is censored. */
  censor: boolean
}

interface PathNode {
  keys: Map<string, PathNode>
  any: PathNode | undefined
  end: boolean
}

const PATH_SEGMENT = /[^.[\]]+|\[([^[\]]*?)\]/g

function pathSegments (path: string): string[] {
  const out: string[] = []
  for (const match of path.matchAll(PATH_SEGMENT)) {
    const bracket = match[1]
    out.push(bracket === undefined ? match[0] : /^["'`]/.test(bracket) ? bracket.slice(1, -1) : bracket)
  }
  return out
}

/** A deterministic automaton of the paths: its states are sets of trie nodes, built once, eagerly. */
function pathAutomaton (paths: readonly string[]): RedactState {
  const newNode = (): PathNode => ({ keys: new Map(), any: undefined, end: false })
  const root = newNode()
  for (const path of paths) {
    let node = root
    for (const segment of pathSegments(path)) {
      if (segment === '*') node = node.any ??= newNode()
      else {
        let next = node.keys.get(segment)
        if (next === undefined) node.keys.set(segment, next = newNode())
        node = next
      }
    }
    node.end = true
  }
  const ids = new Map<PathNode, number>()
  const idOf = (node: PathNode): number => {
    let id = ids.get(node)
    if (id === undefined) ids.set(node, id = ids.size)
    return id
  }
  const states = new Map<string, RedactState>()
  const stateOf = (nodes: readonly PathNode[]): RedactState | undefined => {
    if (nodes.length === 0) return undefined
    const unique = [...new Set(nodes)].sort((a, b) => idOf(a) - idOf(b))
    const id = unique.map(idOf).join(',')
    let state = states.get(id)
    if (state !== undefined) return state
    state = { literal: new Map(), otherwise: undefined, censor: unique.some((n) => n.end) }
    states.set(id, state)
    const wildcards = unique.flatMap((n) => n.any === undefined ? [] : [n.any])
    state.otherwise = stateOf(wildcards)
    for (const key of new Set(unique.flatMap((n) => [...n.keys.keys()]))) {
      const next = stateOf([...unique.flatMap((n) => { const k = n.keys.get(key); return k === undefined ? [] : [k] }), ...wildcards])
      if (next !== undefined) state.literal.set(key, next)
    }
    return state
  }
  return stateOf([root]) ?? { literal: new Map(), otherwise: undefined, censor: false }
}

function shallowCopy (value: object): Record<string, unknown> {
  if (Array.isArray(value)) return value.slice() as unknown as Record<string, unknown>
  // Keeps the prototype and non-enumerable properties, so an Error copy is still serialised as an error.
  return Object.create(Object.getPrototypeOf(value) as object | null, Object.getOwnPropertyDescriptors(value)) as Record<string, unknown>
}

function redactObject (value: object, state: RedactState): object {
  let copy: Record<string, unknown> | undefined
  const record = value as Record<string, unknown>
  const keys = Object.keys(value)
  if (value instanceof Error && Object.hasOwn(value, 'cause')) keys.push('cause') // serialised by pino, not enumerable
  for (const key of keys) {
    const next = state.literal.get(key) ?? state.otherwise
    if (next === undefined) continue
    const inner = record[key]
    let out: unknown
    if (next.censor) {
      if (inner === undefined) continue
      out = REDACTED
    } else if (inner !== null && typeof inner === 'object') {
      out = redactObject(inner, next)
      if (out === inner) continue
    } else continue
    copy ??= shallowCopy(value)
    copy[key] = out
  }
  return copy ?? value
}

/**
 * A function returning `obj` with the value at each of `paths` censored, copying only the objects on
 * the way to a censored value (the caller's objects are never changed); `obj` itself when none matches.
 */
export function pathRedactor (paths: readonly string[]): <T extends object>(obj: T) => T {
  const root = pathAutomaton(paths)
  return <T extends object>(obj: T): T => redactObject(obj, root) as T
}

export interface LoggingOptions {
  level: Settings['LOG_LEVEL']
  secretFieldNames: readonly string[]
}

function loggerOptions (options: LoggingOptions, redact: <T extends object>(obj: T) => T): LoggerOptions {
  return {
    level: options.level,
    // log: every logged object; bindings: the root's base. A child's bindings skip pino's formatter,
    // so createLogger redacts them in child() and setBindings().
    formatters: { log: redact, bindings: redact },
    base: { service: 'warehouse-sources' },
    timestamp: pino.stdTimeFunctions.isoTime
  }
}

/** A pino logger that redacts `redactPaths(secretFieldNames)` in every logged object and every child's bindings. */
export function createLogger (options: LoggingOptions, destination?: DestinationStream): Logger {
  const redact = pathRedactor(redactPaths(options.secretFieldNames))
  const logger = destination === undefined ? pino(loggerOptions(options, redact)) : pino(loggerOptions(options, redact), destination)
  // Children are created with Object.create(parent), so they inherit these two.
  const pinoChild = logger.child
  const pinoSetBindings = logger.setBindings
  Object.assign(logger, {
    child (this: Logger, bindings: pino.Bindings, childOptions?: pino.ChildLoggerOptions): Logger {
      return Reflect.apply(pinoChild, this, [redact(bindings), childOptions]) as Logger
    },
    setBindings (this: Logger, bindings: pino.Bindings): void {
      Reflect.apply(pinoSetBindings, this, [redact(bindings)])
    }
  })
  return logger
}

export const REQUEST_ID_HEADER = 'x-request-id'
const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/

/** Keep a caller's request id when it is short and plain (no log injection); otherwise a new UUID. */
export function requestId (request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER]
  return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID()
}
