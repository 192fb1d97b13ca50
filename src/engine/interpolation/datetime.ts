/**
 * Datetimes as Airbyte manifests use them: Python `strftime` formats (plus Airbyte's `%s` epoch seconds
 * and `%ms` epoch milliseconds), parsing of ISO-8601 text and epoch numbers, ISO-8601 durations. UTC only.
 */
import { DateTime, Duration } from './values.js'

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']

function pad (n: number, width = 2): string { return String(Math.trunc(n)).padStart(width, '0') }

/** Python `strftime` in UTC; unknown directives stay as they are. */
export function strftime (value: DateTime, format: string): string {
  const d = new Date(value.ms)
  const micros = d.getUTCMilliseconds() * 1000 + value.micros
  return format.replace(/%(ms|[a-zA-Z%])/g, (whole, code: string) => {
    switch (code) {
      case 'Y': return pad(d.getUTCFullYear(), 4)
      case 'y': return pad(d.getUTCFullYear() % 100)
      case 'm': return pad(d.getUTCMonth() + 1)
      case 'd': return pad(d.getUTCDate())
      case 'H': return pad(d.getUTCHours())
      case 'I': return pad(((d.getUTCHours() + 11) % 12) + 1)
      case 'p': return d.getUTCHours() < 12 ? 'AM' : 'PM'
      case 'M': return pad(d.getUTCMinutes())
      case 'S': return pad(d.getUTCSeconds())
      case 'f': return pad(micros, 6)
      case 'z': return '+0000'
      case 'Z': return 'UTC'
      case 'j': return pad(Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1, 3)
      case 'a': return (DAYS[d.getUTCDay()] as string).slice(0, 3)
      case 'A': return DAYS[d.getUTCDay()] as string
      case 'b': return (MONTHS[d.getUTCMonth()] as string).slice(0, 3)
      case 'B': return MONTHS[d.getUTCMonth()] as string
      case 's': return String(Math.floor(value.ms / 1000))
      case 'ms': return String(Math.floor(value.ms))
      case '%': return '%'
      default: return whole
    }
  })
}

/** `2024-01-02`, `2024-01-02T03:04:05.123456Z`, `2024-01-02 03:04:05+02:00`, epoch seconds or ms. */
export function parseDateTime (value: unknown): DateTime | undefined {
  if (value instanceof DateTime) return value
  if (typeof value === 'number' && Number.isFinite(value)) return new DateTime(value < 1e11 ? value * 1000 : value)
  if (typeof value !== 'string') return undefined
  const trimmed = value.trim()
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) return parseDateTime(Number(trimmed))
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}:?\d{2}|UTC)?$/.exec(trimmed)
  if (match === null) return undefined
  const [, y, mo, dd, hh, mi, ss, frac, zone] = match
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(dd), Number(hh ?? 0), Number(mi ?? 0), Number(ss ?? 0))
  const digits = (frac ?? '').padEnd(6, '0').slice(0, 6)
  ms += Math.floor(Number(digits) / 1000)
  if (zone !== undefined && /^[+-]/.test(zone)) {
    const sign = zone.startsWith('-') ? -1 : 1
    const hours = Number(zone.slice(1, 3))
    const minutes = Number(zone.slice(-2))
    ms -= sign * (hours * 60 + minutes) * 60_000
  }
  if (Number.isNaN(ms)) return undefined
  return new DateTime(ms, hh === undefined, Number(digits) % 1000)
}

/** Parse text with a strftime format (the directives manifests use); undefined when it does not fit. */
export function strptime (value: string, format: string): DateTime | undefined {
  if (format === '%s') return /^\d+$/.test(value.trim()) ? new DateTime(Number(value.trim()) * 1000) : undefined
  if (format === '%ms') return /^\d+$/.test(value.trim()) ? new DateTime(Number(value.trim())) : undefined
  const parts: string[] = []
  const pattern = format.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%([YmdHMSfzZy%])/g, (_w, code: string) => {
    parts.push(code)
    switch (code) {
      case 'Y': return '(\\d{4})'
      case 'f': return '(\\d{1,6})'
      case 'z': return '(Z|[+-]\\d{2}:?\\d{2})'
      case 'Z': return '([A-Z]{1,5})'
      case '%': parts.pop(); return '%'
      default: return '(\\d{2})'
    }
  })
  const match = new RegExp(`^${pattern}$`).exec(value.trim())
  if (match === null) return undefined
  const get = (code: string): string | undefined => { const i = parts.indexOf(code); return i < 0 ? undefined : match[i + 1] }
  const year = get('Y') ?? (get('y') === undefined ? '1970' : String(2000 + Number(get('y'))))
  const iso = `${year}-${get('m') ?? '01'}-${get('d') ?? '01'}T${get('H') ?? '00'}:${get('M') ?? '00'}:${get('S') ?? '00'}` +
    `${get('f') === undefined ? '' : `.${get('f') as string}`}${get('z') ?? 'Z'}`
  return parseDateTime(iso)
}

/** ISO-8601 duration (`P1D`, `PT1H30M`, `P2W`), as Airbyte's `duration()` and `step`/`lookback_window` use. */
export function parseDuration (value: unknown): Duration | undefined {
  if (value instanceof Duration) return value
  if (typeof value !== 'string') return undefined
  const match = /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value.trim())
  if (match === null || value.trim() === 'P' || value.trim().endsWith('T')) return undefined
  const [, y, mo, w, d, h, mi, s] = match.map((part) => Number(part ?? 0))
  const days = (y as number) * 365 + (mo as number) * 30 + (w as number) * 7 + (d as number)
  return new Duration(((days * 24 + (h as number)) * 60 + (mi as number)) * 60_000 + (s as number) * 1000)
}
