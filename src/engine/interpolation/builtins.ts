/**
 * The macros, filters and methods an expression may use — a closed list. Airbyte's macros
 * (`now_utc`, `today_utc`, `timestamp`, `max`, `min`, `day_delta`, `duration`, `format_datetime`,
 * `str_to_datetime`), the Jinja filters manifests use, and a few methods of strings, dicts and datetimes.
 */
import { createHash } from 'node:crypto'
import { parseDateTime, parseDuration, strftime, strptime } from './datetime.js'
import { Callable, DateTime, Duration, isPlainObject, order, text, truthy } from './values.js'

/** Longest string an expression may build (a guard against amplification, not a normal limit). */
export const MAX_STRING_LENGTH = 1_000_000

type Fn = (args: unknown[], kwargs: Record<string, unknown>) => unknown

function bounded (value: string): string | undefined {
  return value.length > MAX_STRING_LENGTH ? undefined : value
}

function arg (args: unknown[], kwargs: Record<string, unknown>, index: number, name: string): unknown {
  return Object.hasOwn(kwargs, name) ? kwargs[name] : args[index]
}

function toInt (value: unknown, fallback: unknown = 0): unknown {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value)
  if (typeof value === 'boolean') return Number(value)
  if (typeof value === 'string' && /^\s*[+-]?\d+(\.\d+)?\s*$/.test(value)) return Math.trunc(Number(value))
  return fallback
}

function toFloat (value: unknown, fallback: unknown = 0): unknown {
  if (typeof value === 'number') return value
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value)
  return fallback
}

function extreme (args: unknown[], sign: 1 | -1): unknown {
  const items = args.length === 1 && Array.isArray(args[0]) ? args[0] as unknown[] : args
  let best: unknown
  for (const item of items) {
    if (best === undefined) { best = item; continue }
    const o = order(item, best)
    if (o !== null && o * sign > 0) best = item
  }
  return best
}

const DEFAULT_DAY_DELTA_FORMAT = '%Y-%m-%dT%H:%M:%S.%f%z'

export const MACROS: ReadonlyMap<string, Callable> = new Map(Object.entries({
  now_utc: () => new DateTime(Date.now()),
  today_utc: () => { const now = Date.now(); return new DateTime(now - (now % 86_400_000), true) },
  timestamp: ([value]) => {
    if (typeof value === 'number') return Math.trunc(value)
    const parsed = parseDateTime(value)
    return parsed === undefined ? undefined : Math.floor(parsed.ms / 1000)
  },
  max: (args) => extreme(args, 1),
  min: (args) => extreme(args, -1),
  day_delta: (args, kwargs) => {
    const days = Number(arg(args, kwargs, 0, 'num_days') ?? 0)
    const format = arg(args, kwargs, 1, 'format')
    return strftime(new DateTime(Date.now() + days * 86_400_000), typeof format === 'string' ? format : DEFAULT_DAY_DELTA_FORMAT)
  },
  duration: ([value]) => parseDuration(value),
  str_to_datetime: ([value]) => parseDateTime(value),
  format_datetime: (args, kwargs) => {
    const value = arg(args, kwargs, 0, 'dt')
    const format = arg(args, kwargs, 1, 'format')
    const inputFormat = arg(args, kwargs, 2, 'input_format')
    if (typeof format !== 'string') return undefined
    const parsed = typeof value === 'string' && typeof inputFormat === 'string' ? strptime(value, inputFormat) : parseDateTime(value)
    return parsed === undefined ? undefined : strftime(parsed, format)
  }
} satisfies Record<string, Fn>).map(([name, fn]) => [name, new Callable(name, fn)]))

type Filter = (value: unknown, args: unknown[], kwargs: Record<string, unknown>) => unknown

const FILTERS: Record<string, Filter> = {
  default: (value, args, kwargs) => {
    const useFalsy = truthy(arg(args, kwargs, 1, 'boolean'))
    return value === undefined || (useFalsy && !truthy(value)) ? (arg(args, kwargs, 0, 'default_value') ?? '') : value
  },
  length: (value) => typeof value === 'string' || Array.isArray(value) ? value.length : isPlainObject(value) ? Object.keys(value).length : 0,
  first: (value) => Array.isArray(value) || typeof value === 'string' ? value[0] : undefined,
  last: (value) => Array.isArray(value) || typeof value === 'string' ? value[value.length - 1] : undefined,
  lower: (value) => text(value).toLowerCase(),
  upper: (value) => text(value).toUpperCase(),
  trim: (value) => text(value).trim(),
  string: (value) => text(value),
  int: (value, args) => toInt(value, args[0] ?? 0),
  float: (value, args) => toFloat(value, args[0] ?? 0),
  abs: (value) => typeof value === 'number' ? Math.abs(value) : undefined,
  round: (value, args) => {
    if (typeof value !== 'number') return undefined
    const digits = typeof args[0] === 'number' ? args[0] : 0
    return Math.round(value * 10 ** digits) / 10 ** digits
  },
  join: (value, args) => Array.isArray(value) ? bounded(value.map(text).join(typeof args[0] === 'string' ? args[0] : '')) : text(value),
  replace: (value, args) => typeof args[0] === 'string' && typeof args[1] === 'string' && args[0] !== ''
    ? bounded(text(value).replaceAll(args[0], args[1]))
    : text(value),
  tojson: (value) => value === undefined ? 'null' : JSON.stringify(value, (_k, v: unknown) => v instanceof DateTime ? text(v) : v),
  list: (value) => Array.isArray(value) ? value : typeof value === 'string' ? [...value] : isPlainObject(value) ? Object.keys(value) : [],
  urlencode: (value) => encodeURIComponent(text(value)),
  base64encode: (value) => Buffer.from(text(value), 'utf8').toString('base64'),
  base64decode: (value) => Buffer.from(text(value), 'base64').toString('utf8'),
  hash: (value, args) => {
    const algorithm = typeof args[0] === 'string' ? args[0].toLowerCase() : 'md5'
    if (!['md5', 'sha1', 'sha256', 'sha512'].includes(algorithm)) return undefined
    return createHash(algorithm).update(text(value)).digest('hex')
  }
}
FILTERS.d = FILTERS.default as Filter
FILTERS.count = FILTERS.length as Filter

export function filterNamed (name: string): Filter | undefined {
  return Object.hasOwn(FILTERS, name) ? FILTERS[name] : undefined
}

/** A method of a value (`now_utc().strftime`, `config.get`, `'a,b'.split`), or undefined. */
export function methodOf (value: unknown, name: string): Callable | undefined {
  const bind = (fn: Fn): Callable => new Callable(name, fn)
  if (value instanceof DateTime) {
    switch (name) {
      case 'strftime': return bind(([format]) => typeof format === 'string' ? strftime(value, format) : undefined)
      case 'isoformat': return bind(() => value.dateOnly ? strftime(value, '%Y-%m-%d') : text(value).replace(' ', 'T'))
      case 'timestamp': return bind(() => value.ms / 1000)
      case 'date': return bind(() => new DateTime(value.ms - (value.ms % 86_400_000), true))
    }
    return undefined
  }
  if (typeof value === 'string') {
    switch (name) {
      case 'lower': return bind(() => value.toLowerCase())
      case 'upper': return bind(() => value.toUpperCase())
      case 'strip': return bind(() => value.trim())
      case 'split': return bind(([sep]) => typeof sep === 'string' && sep !== '' ? value.split(sep) : value.trim().split(/\s+/))
      case 'startswith': return bind(([prefix]) => typeof prefix === 'string' && value.startsWith(prefix))
      case 'endswith': return bind(([suffix]) => typeof suffix === 'string' && value.endsWith(suffix))
      case 'replace': return bind((args) => FILTERS.replace?.(value, args, {}))
    }
    return undefined
  }
  if (isPlainObject(value)) {
    switch (name) {
      case 'get': return bind(([key, fallback]) => typeof key === 'string' && Object.hasOwn(value, key) ? value[key] : fallback ?? null)
      case 'keys': return bind(() => Object.keys(value))
      case 'values': return bind(() => Object.values(value))
      case 'items': return bind(() => Object.entries(value))
    }
  }
  return undefined
}

export { Duration }
