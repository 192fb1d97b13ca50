/**
 * What a source's transport tests share: pull every page of a table from a source's pipeline handoff,
 * stream a table through POST /v1/sources/<Name>/sync and parse its lines, and check records against a
 * declared shape.
 */
import pino from 'pino'
import type { App } from '../../src/app.js'
import type { EngineServices } from '../../src/engine/services.js'
import type { EngineEvent, Row } from '../../src/engine/types.js'
import type { AnySource, PipelineInputs, SourceContext, SourceResponse } from '../../src/sources/types.js'

export type PullInputs = Omit<PipelineInputs, 'syncType'> & Partial<Pick<PipelineInputs, 'syncType'>>

/** Rows (and engine events) of one table, straight from the source's pipeline handoff (full refresh unless told). */
export async function pullTable (source: AnySource, config: Record<string, unknown>, inputs: PullInputs, services: EngineServices, baseUrl: string):
Promise<{ rows: Row[], events: EngineEvent[], response: SourceResponse }> {
  const events: EngineEvent[] = []
  const ctx: SourceContext = { services, baseUrlOverride: baseUrl, log: pino({ level: 'silent' }), signal: new AbortController().signal, onEvent: (e) => events.push(e) }
  const response = await source.sourceForPipeline(config, { syncType: 'full_refresh', ...inputs }, ctx)
  const rows: Row[] = []
  for await (const page of response.pages) rows.push(...page.rows)
  return { rows, events, response }
}

export interface SyncResult { status: number, lines: Array<Record<string, unknown>>, records: Row[], terminal: Record<string, unknown> | undefined }

/** A sync through the route, every NDJSON line parsed (a non-200 answer is its problem document as the only line). */
export async function syncTable (app: App, sourceName: string, payload: Record<string, unknown>): Promise<SyncResult> {
  const response = await app.inject({ method: 'POST', url: `/v1/sources/${sourceName}/sync`, payload })
  if (response.statusCode !== 200) return { status: response.statusCode, lines: [response.json()], records: [], terminal: undefined }
  const lines = response.body.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
  return { status: 200, lines, records: lines.filter((l) => l.type === 'record').map((l) => l.data as Row), terminal: lines.at(-1) }
}

/** `value` has every field of `shape`: String/Number/Boolean/Array stand for a type, objects recurse. */
export function matchesShape (value: unknown, shape: Record<string, unknown>): boolean {
  if (typeof value !== 'object' || value === null) return false
  const record = value as Record<string, unknown>
  return Object.entries(shape).every(([key, expected]) => {
    const actual = record[key]
    if (expected === String) return typeof actual === 'string'
    if (expected === Number) return typeof actual === 'number'
    if (expected === Boolean) return typeof actual === 'boolean'
    if (expected === Array) return Array.isArray(actual)
    return matchesShape(actual, expected as Record<string, unknown>)
  })
}
