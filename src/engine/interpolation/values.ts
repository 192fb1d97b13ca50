/**
 * The values an expression can hold: JSON data (JS `undefined` is Jinja's Undefined, `null` is None),
 * datetimes and durations made by macros, and callables made by this module only. Data is never
 * callable and lookups never leave a value's own data properties, so no expression reaches a
 * prototype, a constructor or host code.
 */

/** A function an expression may call: a macro or a method bound to a value. Only this module makes them. */
export class Callable {
  constructor (readonly name: string, readonly invoke: (args: unknown[], kwargs: Record<string, unknown>) => unknown) {}
}

/** A UTC instant (or a calendar date, from `today_utc()`), with microseconds where the text had them. */
export class DateTime {
  constructor (readonly ms: number, readonly dateOnly = false, readonly micros = 0) {}
}

/** A time span (`duration('P1D')`, `a - b` of two datetimes). */
export class Duration {
  constructor (readonly ms: number) {}
}

export function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

/** An own data property of a plain object or an array element; anything else is Undefined. */
export function ownValue (container: unknown, key: string | number): unknown {
  if (Array.isArray(container)) {
    if (typeof key !== 'number' || !Number.isInteger(key)) return undefined
    const index = key < 0 ? container.length + key : key
    return index >= 0 && index < container.length ? container[index] as unknown : undefined
  }
  if (typeof container === 'string') {
    if (typeof key !== 'number' || !Number.isInteger(key)) return undefined
    const index = key < 0 ? container.length + key : key
    return index >= 0 && index < container.length ? container[index] : undefined
  }
  if (!isPlainObject(container)) return undefined
  const name = String(key)
  if (!Object.hasOwn(container, name)) return undefined
  const descriptor = Object.getOwnPropertyDescriptor(container, name)
  return descriptor !== undefined && 'value' in descriptor ? descriptor.value as unknown : undefined
}

/** Python truthiness; Undefined is falsy. */
export function truthy (value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '') return false
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value)
  if (Array.isArray(value)) return value.length > 0
  if (isPlainObject(value)) return Object.keys(value).length > 0
  if (value instanceof Duration) return value.ms !== 0
  return true
}

function pad (n: number, width = 2): string { return String(Math.trunc(n)).padStart(width, '0') }

/** Python's `str()` of a datetime (`2021-09-01 00:00:00+00:00`) or date (`2021-09-01`). */
function datetimeText (value: DateTime): string {
  const d = new Date(value.ms)
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
  if (value.dateOnly) return date
  const micros = d.getUTCMilliseconds() * 1000 + value.micros
  const fraction = micros === 0 ? '' : `.${pad(micros, 6)}`
  return `${date} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${fraction}+00:00`
}

function pythonRepr (value: unknown): string {
  if (typeof value === 'string') return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
  return text(value)
}

/** Python's `str()`: how a value renders inside a template. Undefined renders as ''. */
export function text (value: unknown): string {
  if (value === undefined) return ''
  if (value === null) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'string') return value
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'inf' : value < 0 ? '-inf' : 'nan'
  if (value instanceof DateTime) return datetimeText(value)
  if (value instanceof Duration) return `${value.ms / 1000} seconds`
  if (value instanceof Callable) return `<function ${value.name}>`
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`
  if (isPlainObject(value)) return `{${Object.entries(value).map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`).join(', ')}}`
  return ''
}

/** Python equality over data (deep for lists and dicts); Undefined equals only Undefined. */
export function equal (a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a instanceof DateTime && b instanceof DateTime) return a.ms === b.ms && a.micros === b.micros
  if (a instanceof Duration && b instanceof Duration) return a.ms === b.ms
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => equal(v, b[i]))
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a)
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]))
  }
  if (typeof a === 'boolean' && typeof b === 'number') return Number(a) === b
  if (typeof a === 'number' && typeof b === 'boolean') return a === Number(b)
  return false
}

/** Ordering of two comparable values (numbers, strings, datetimes, durations), else null. */
export function order (a: unknown, b: unknown): number | null {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  if (a instanceof DateTime && b instanceof DateTime) return a.ms - b.ms || a.micros - b.micros
  if (a instanceof Duration && b instanceof Duration) return a.ms - b.ms
  return null
}
