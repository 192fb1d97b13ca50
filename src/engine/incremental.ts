/**
 * Incremental binding: stored watermarks → request params (through the declared converter, capped at
 * now), and watermark tracking over emitted rows (max = last value, min = earliest value).
 */
import type { IncrementalFieldDecl, IncrementalFieldType, Params, ValueConverter } from './declarations.js'
import { DateTime, strftime } from './interpolation/index.js'
import { getPath } from './select.js'
import type { Row } from './types.js'

const TIME_TYPES: ReadonlySet<IncrementalFieldType> = new Set(['datetime', 'date', 'timestamp'])

/** Epoch ms of a datetime-like value: ISO strings, Date, epoch seconds or ms numbers. NaN when unreadable. */
export function toInstant (value: unknown): number {
  if (value instanceof Date) return value.getTime()
  if (typeof value === 'number') return value < 1e11 ? value * 1000 : value
  if (typeof value === 'string') {
    const trimmed = value.trim()
    if (/^\d+(\.\d+)?$/.test(trimmed)) return toInstant(Number(trimmed))
    return Date.parse(trimmed)
  }
  return Number.NaN
}

/** Comparable number for a field value of the declared type (NaN when unreadable). */
export function comparable (value: unknown, type: IncrementalFieldType): number {
  if (value === null || value === undefined) return Number.NaN
  if (TIME_TYPES.has(type)) return toInstant(value)
  return typeof value === 'number' ? value : Number(value)
}

function isoNoMillis (ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function defaultConverter (type: IncrementalFieldType): ValueConverter {
  if (type === 'datetime') return 'iso'
  if (type === 'date') return 'date'
  return 'raw'
}

/** Format a watermark for a request param; datetimes in the future are capped at now unless told otherwise. */
export function convertWatermark (value: unknown, field: IncrementalFieldDecl, now = Date.now()): string | number {
  const converter = field.converter ?? defaultConverter(field.type)
  if (converter === 'raw' && !TIME_TYPES.has(field.type)) return typeof value === 'number' ? value : String(value)
  let ms = toInstant(value)
  if (Number.isNaN(ms)) {
    if (converter === 'raw') return String(value)
    throw new TypeError(`Watermark for "${field.field}" is not a readable ${field.type}.`)
  }
  if (field.capAtNow !== false && ms > now) ms = now
  if (field.lookbackSeconds !== undefined) ms -= field.lookbackSeconds * 1000
  if (converter === 'raw') return ms === toInstant(value) ? (value as string | number) : isoNoMillis(ms)
  if (typeof converter === 'object') {
    if ('format' in converter) {
      const text = strftime(new DateTime(ms), converter.format)
      return /^\d+$/.test(text) && /^%(s|ms)$/.test(converter.format) ? Number(text) : text
    }
    return converter.template.replaceAll('{value}', isoNoMillis(ms))
  }
  switch (converter) {
    case 'iso': return new Date(ms).toISOString()
    case 'iso_no_millis': return isoNoMillis(ms)
    case 'date': return new Date(ms).toISOString().slice(0, 10)
    case 'epoch_seconds': return Math.floor(ms / 1000)
    case 'epoch_millis': return Math.floor(ms)
  }
}

/**
 * The upper end of a window that starts at `lastValue`: now, or one second after the start when the start
 * is not in the past (a watermark capped at now, or one sent as it is), so the end always follows the start.
 */
export function windowEnd (lastValue: unknown, field: IncrementalFieldDecl, now = Date.now()): string | number {
  const start = toInstant(lastValue)
  const sentStart = Number.isNaN(start) ? now : field.capAtNow !== false ? Math.min(start, now) : start
  return convertWatermark(Math.max(now, sentStart + 1000), { ...field, capAtNow: false }, now)
}

/** Request params carrying the run's watermarks (none when the field declares no param). */
export function incrementalParams (field: IncrementalFieldDecl, lastValue: unknown, earliestValue: unknown, now = Date.now()): Params {
  const params: Params = {}
  if (field.param !== undefined && lastValue !== null && lastValue !== undefined) {
    params[field.param] = convertWatermark(lastValue, field, now)
    if (field.endAtNowParam !== undefined) params[field.endAtNowParam] = windowEnd(lastValue, field, now)
  }
  if (field.earliestParam !== undefined && earliestValue !== null && earliestValue !== undefined) {
    params[field.earliestParam] = convertWatermark(earliestValue, { ...field, capAtNow: false, lookbackSeconds: 0 }, now)
  }
  return params
}

export interface WatermarkTracker {
  observe: (row: Row) => void
  /** The same for the field's value itself (read off a text page, raw-rows.ts). */
  observeValue: (value: unknown) => void
  /** Max of the field over observed rows (the original value, not the comparable number). */
  readonly lastValue: unknown
  /** Min of the field over observed rows. */
  readonly earliestValue: unknown
}

export function createWatermarkTracker (field: IncrementalFieldDecl): WatermarkTracker {
  let max: { key: number, value: unknown } | undefined
  let min: { key: number, value: unknown } | undefined
  const observeValue = (value: unknown): void => {
    const key = comparable(value, field.type)
    if (Number.isNaN(key)) return
    if (max === undefined || key > max.key) max = { key, value }
    if (min === undefined || key < min.key) min = { key, value }
  }
  return {
    observe: (row: Row): void => { observeValue(getPath(row, field.field)) },
    observeValue,
    get lastValue () { return max?.value },
    get earliestValue () { return min?.value }
  }
}

/** For descending endpoints: true when every row of a non-empty page is older than the watermark. */
export function pageOlderThan (rows: readonly Row[], field: IncrementalFieldDecl, lastValue: unknown): boolean {
  const watermark = comparable(lastValue, field.type)
  if (rows.length === 0 || Number.isNaN(watermark)) return false
  return rows.every((row) => {
    const key = comparable(getPath(row, field.field), field.type)
    return !Number.isNaN(key) && key < watermark
  })
}
