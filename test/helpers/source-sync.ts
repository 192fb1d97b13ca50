/**
 * What a source's transport tests share: pull every page of a table from a source's pipeline handoff,
 * stream a table through POST /v1/sources/<Name>/sync and parse its lines, and check records against a
 * declared shape.
 */
import pino from 'pino'
import type { App } from '../../src/app.js'
import type { EngineServices } from '../../src/engine/services.js'
import type { Test } from 'tap'
import { rawRowsOf } from '../../src/engine/raw-rows.js'
import type { EngineEvent, Page, Row } from '../../src/engine/types.js'
import { pageRecords, rawRecords } from '../../src/sync/ndjson-writer.js'
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

export { matchesShape } from './shapes.js'

/**
 * Every table of `source` handed off with `rowsAsText` (text pages, src/engine/raw-rows.ts) and without:
 * the record lines each writes, as run-sync.ts writes them, must be the same bytes. Returns each table's
 * count of pages that stayed text, so a test can say which tables take the text path.
 */
export async function textPagesAgree (t: Test, source: AnySource, config: Record<string, unknown>, services: EngineServices, baseUrl: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  const ctx: SourceContext = { services, baseUrlOverride: baseUrl, log: pino({ level: 'silent' }), signal: new AbortController().signal }
  for (const schema of (await source.getSchemas(null, ctx)).map((s) => s.name)) {
    const parsed = await recordLines((await source.sourceForPipeline(config, { syncType: 'full_refresh', schema }, ctx)).pages)
    const text = await recordLines((await source.sourceForPipeline(config, { syncType: 'full_refresh', schema, rowsAsText: true }, ctx)).pages)
    t.equal(parsed.textPages, 0, `${schema}: no text pages unless asked for`)
    t.equal(text.text, parsed.text, `${schema}: the same record lines, byte for byte (${text.textPages} of ${text.pages} pages as text)`)
    counts[schema] = text.textPages
  }
  return counts
}

async function recordLines (pages: AsyncIterable<Page>): Promise<{ text: string, pages: number, textPages: number }> {
  let text = ''
  let count = 0
  let textPages = 0
  for await (const page of pages) {
    count++
    const raw = rawRowsOf(page)
    if (raw !== undefined) {
      textPages++
      text += rawRecords(raw, raw.count, '')
    } else {
      text += pageRecords(page.rows, '')?.toString('utf8') ?? ''
    }
  }
  return { text, pages: count, textPages }
}
