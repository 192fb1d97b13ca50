/**
 * `DatetimeBasedCursor` → an incremental field: the cursor field and its watermark param
 * (`start_time_option`, or a request param reading `stream_interval.start_time`), the watermark format
 * (`datetime_format` as a converter), `lookback_window`; `start_datetime` / `end_datetime` become request
 * params evaluated once per sync (the watermark replaces the start once there is one). `step` with
 * `cursor_granularity` becomes the endpoint's time windows (consecutive windows from the start, or the
 * watermark, to the end) when the stream sends both bounds; with only a start there is no way to ask
 * for a window, so the range is read in one.
 */
import type { IncrementalFieldDecl, TimeWindowsDecl } from '../engine/index.js'
import { parseDuration } from '../engine/index.js'
import type { ParamRef } from '../sources/definition.js'
import { child, field, pointerOf, refuseKeys, typeOf, type Component } from './components.js'
import { compileAt, literalAt, type ManifestProblems } from './expressions.js'

/** The request params that carry the interval's start and end. */
export interface Interval { startParam?: string, endParam?: string }

/** The `stream_interval` keys naming the start and end (`partition_field_start` / `_end`; default start_time / end_time). */
export function intervalKeysAt (stream: Component, problems: ManifestProblems): { start: string, end: string } {
  const keys = { start: 'start_time', end: 'end_time' }
  const cursor = child(stream, 'incremental_sync')
  if (cursor === undefined) return keys
  for (const [key, which] of [['partition_field_start', 'start'], ['partition_field_end', 'end']] as const) {
    const name = literalAt(cursor.value[key], cursor.parameters, pointerOf(cursor, key), problems)
    if (typeof name === 'string') keys[which] = name
  }
  return keys
}

export interface Cursor {
  fields: IncrementalFieldDecl[]
  /** From `step` and `cursor_granularity`, when both bounds are sent. */
  windows?: TimeWindowsDecl
}

export function cursorAt (stream: Component, interval: Interval, params: Record<string, ParamRef>, problems: ManifestProblems): Cursor | undefined {
  const cursor = child(stream, 'incremental_sync')
  if (cursor === undefined) return undefined
  if (typeOf(cursor, ['DatetimeBasedCursor'], problems, 'DatetimeBasedCursor') === undefined) return undefined
  refuseKeys(cursor, { global_substream_cursor: 'a global cursor over all partitions' }, problems)
  const fieldName = literalAt(field(cursor, 'cursor_field'), cursor.parameters, pointerOf(cursor, 'cursor_field'), problems)
  const format = literalAt(field(cursor, 'datetime_format'), cursor.parameters, pointerOf(cursor, 'datetime_format'), problems)
  if (typeof fieldName !== 'string' || typeof format !== 'string') { problems.add(cursor.pointer, 'needs cursor_field and datetime_format'); return undefined }
  const option = (key: string): string | undefined => {
    const o = child(cursor, key)
    if (o === undefined) return undefined
    if (o.value.inject_into !== 'request_parameter') { problems.add(pointerOf(o, 'inject_into'), `unsupported ${JSON.stringify(o.value.inject_into)} (only request_parameter)`); return undefined }
    const name = literalAt(o.value.field_name, o.parameters, pointerOf(o, 'field_name'), problems)
    return typeof name === 'string' ? name : undefined
  }
  const startParam = option('start_time_option') ?? interval.startParam
  const endParam = option('end_time_option') ?? interval.endParam
  const clientSide = cursor.value.is_client_side_incremental === true
  const converter = converterFor(format)
  const lookback = cursor.value.lookback_window === undefined ? undefined : durationMsAt(cursor, 'lookback_window', problems)
  if (startParam !== undefined && !clientSide) {
    const start = datetimeExpression(problems, cursor, 'start_datetime', format)
    if (start !== undefined) params[startParam] = start
  }
  if (endParam !== undefined && !clientSide) {
    params[endParam] = datetimeExpression(problems, cursor, 'end_datetime', format) ?? { expression: `{{ now_utc().strftime('${format.replaceAll("'", "\\'")}') }}` }
  }
  const fields: IncrementalFieldDecl[] = [{
    field: fieldName,
    label: fieldName,
    type: 'datetime',
    ...(startParam === undefined || clientSide ? {} : { param: startParam }),
    converter,
    ...(lookback === undefined || lookback === 0 ? {} : { lookbackSeconds: Math.round(lookback / 1000) })
  }]
  const windows = windowsAt(cursor, problems)
  if (windows === undefined || startParam === undefined || endParam === undefined || clientSide) return { fields }
  return { fields, windows: { startParam, endParam, converter, ...windows } }
}

/** The ISO 8601 duration at `key` in ms; a problem naming it (and undefined) when it is not one. */
function durationMsAt (cursor: Component, key: string, problems: ManifestProblems): number | undefined {
  const parsed = parseDuration(literalAt(cursor.value[key], cursor.parameters, pointerOf(cursor, key), problems))
  if (parsed === undefined) problems.add(pointerOf(cursor, key), 'must be an ISO-8601 duration such as P1D')
  return parsed?.ms
}

/** `step` and `cursor_granularity` (ISO 8601 durations, set together) in whole seconds. */
function windowsAt (cursor: Component, problems: ManifestProblems): { stepSeconds: number, granularitySeconds: number } | undefined {
  const { step, cursor_granularity: granularity } = cursor.value
  if (step === undefined && granularity === undefined) return undefined
  if (step === undefined || granularity === undefined) {
    problems.add(pointerOf(cursor, step === undefined ? 'cursor_granularity' : 'step'), 'step and cursor_granularity are set together')
    return undefined
  }
  const stepMs = durationMsAt(cursor, 'step', problems)
  const granularityMs = durationMsAt(cursor, 'cursor_granularity', problems)
  if (stepMs === undefined || granularityMs === undefined) return undefined
  const stepSeconds = Math.floor(stepMs / 1000)
  const granularitySeconds = Math.floor(granularityMs / 1000)
  if (stepSeconds < 1 || granularitySeconds >= stepSeconds) {
    problems.add(pointerOf(cursor, 'step'), 'must be at least one second and longer than cursor_granularity')
    return undefined
  }
  return { stepSeconds, granularitySeconds }
}

/** `start_datetime`/`end_datetime` (a string or MinMaxDatetime) formatted for the request, evaluated per sync. */
function datetimeExpression (problems: ManifestProblems, cursor: Component, key: string, format: string): ParamRef | undefined {
  const raw = cursor.value[key]
  if (raw === undefined || raw === null) return undefined
  const holder = child(cursor, key)
  const text = holder === undefined ? raw : holder.value.datetime
  const inputFormat = holder === undefined ? undefined : holder.value.datetime_format
  const pointer = holder === undefined ? pointerOf(cursor, key) : pointerOf(holder, 'datetime')
  if (typeof text !== 'string') { problems.add(pointer, 'must be a datetime string'); return undefined }
  const template = compileAt(text, pointer, problems)
  if (template === undefined) return undefined
  const foreign = [...template.names].filter((n) => n !== 'config' && n !== 'parameters' && !['now_utc', 'today_utc', 'day_delta', 'format_datetime', 'str_to_datetime', 'duration', 'timestamp', 'max', 'min'].includes(n))
  if (foreign.length > 0) { problems.add(pointer, `may read the config, parameters and macros, not ${foreign.join(', ')}`); return undefined }
  const inner = template.constant ? `'${text.replaceAll("'", "\\'")}'` : template.parts.length === 1 && template.expression !== null ? `(${(template.parts[0] as { source: string }).source})` : undefined
  if (inner === undefined) { problems.add(pointer, 'must be one {{ expression }} or a literal datetime'); return undefined }
  const q = (s: string): string => `'${s.replaceAll("'", "\\'")}'`
  const expression = `{{ format_datetime(${inner}, ${q(format)}${typeof inputFormat === 'string' ? `, ${q(inputFormat)}` : ''}) }}`
  return { expression, ...(template.names.has('parameters') ? { variables: { parameters: cursor.parameters } } : {}) }
}

function converterFor (format: string): IncrementalFieldDecl['converter'] {
  switch (format) {
    case '%Y-%m-%dT%H:%M:%SZ': return 'iso_no_millis'
    case '%Y-%m-%d': return 'date'
    case '%s': return 'epoch_seconds'
    case '%ms': return 'epoch_millis'
    default: return { format }
  }
}
