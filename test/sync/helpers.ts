/**
 * Sync test harness: the real app listening on 127.0.0.1:0 (so backpressure and disconnects are real
 * TCP), the Demo sample API started standalone on 127.0.0.1:0 as the upstream, and a reader that
 * parses every NDJSON line and checks it against the published line schema.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { Compile } from 'typebox/compile'
import { buildApp, type App } from '../../src/app.js'
import { createEngineServices, type EngineServices } from '../../src/engine/services.js'
import { startSampleApi, type RunningSampleApi, type SampleApiOptions } from '../../src/sources/demo/sample-api.js'
import type { AnySource } from '../../src/sources/types.js'
import { SyncLineSchema, type SyncLine } from '../../src/sync/lines.js'

export const checkLine = Compile(SyncLineSchema)

export interface Harness {
  app: App
  url: string
  upstream: RunningSampleApi
  services: EngineServices
  /** Log lines (with `captureLogs`). */
  logs: string[]
  close: () => Promise<void>
}

/** App + standalone sample API. Retries are fast (10 ms base) so failure tests stay quick. */
export async function startHarness (options: { upstream?: SampleApiOptions, lookaheadPages?: number, sources?: readonly AnySource[], captureLogs?: boolean } = {}): Promise<Harness> {
  const upstream = await startSampleApi(options.upstream ?? {})
  const services = createEngineServices({
    allowPrivateUpstreams: true,
    retry: { maxAttempts: 2, baseDelayMs: 10, maxBackoffMs: 20, maxWaitMs: 50 },
    ...(options.lookaheadPages === undefined ? {} : { lookaheadPages: options.lookaheadPages })
  })
  const logs: string[] = []
  const app = await buildApp({
    settings: { LOG_LEVEL: options.captureLogs === true ? 'info' : 'silent', ALLOW_PRIVATE_UPSTREAMS: true },
    services,
    ...(options.captureLogs === true ? { logStream: new Writable({ write (chunk, _encoding, done) { logs.push(String(chunk)); done() } }) } : {}),
    ...(options.sources === undefined ? {} : { sources: options.sources })
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    upstream,
    services,
    logs,
    close: async () => {
      await app.close()
      await services.close()
      await upstream.close()
    }
  }
}

export interface SyncBody {
  config?: Record<string, unknown>
  schema: string
  sync_type?: string
  incremental_field?: string
  last_value?: unknown
  earliest_value?: unknown
  resume_state?: string | null
  limits?: { max_rows?: number, max_pages?: number }
}

export function demoConfig (h: Harness, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { base_url: h.upstream.baseUrl, ...extra }
}

export interface SyncResult {
  status: number
  contentType: string | undefined
  lines: SyncLine[]
  /** Non-stream bodies (problem documents). */
  body?: unknown
}

/** POST a sync and read the whole answer. Every stream line is parsed (a torn line fails JSON.parse). */
export async function sync (h: Harness, source: string, body: SyncBody): Promise<SyncResult> {
  const response = await fetch(`${h.url}/v1/sources/${source}/sync`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body)
  })
  const contentType = response.headers.get('content-type') ?? undefined
  const text = await response.text()
  if (!(contentType ?? '').startsWith('application/x-ndjson')) {
    return { status: response.status, contentType, lines: [], body: JSON.parse(text) }
  }
  if (text !== '' && !text.endsWith('\n')) throw new Error('stream does not end with a newline')
  const lines = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as SyncLine)
  return { status: response.status, contentType, lines }
}

/** Open a sync stream with node:http, for tests that pause or abort the reader. */
export async function openStream (h: Harness, source: string, body: SyncBody): Promise<{ response: IncomingMessage, destroy: () => void }> {
  const payload = JSON.stringify(body)
  const target = new URL(`${h.url}/v1/sources/${source}/sync`)
  return await new Promise((resolve, reject) => {
    const req = httpRequest(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      agent: false
    }, (response) => { resolve({ response, destroy: () => { req.destroy(); response.destroy() } }) })
    req.on('error', reject)
    req.end(payload)
  })
}

export function records (lines: readonly SyncLine[]): Array<Record<string, unknown>> {
  return lines.flatMap((l) => l.type === 'record' ? [l.data] : [])
}

export function states (lines: readonly SyncLine[]): Array<{ index: number, state: string, rows: number }> {
  return lines.flatMap((l, index) => l.type === 'state' ? [{ index, state: l.state, rows: l.rows }] : [])
}

export function terminal (lines: readonly SyncLine[]): SyncLine | undefined {
  return lines.at(-1)
}

/** Problems with the line contract: schema first, every line valid, exactly one terminal line, last. */
export function contractProblems (lines: readonly SyncLine[]): string[] {
  const problems: string[] = []
  if (lines[0]?.type !== 'schema') problems.push(`first line is ${String(lines[0]?.type)}, not schema`)
  lines.forEach((line, i) => {
    if (!checkLine.Check(line)) problems.push(`line ${i} (${String((line as { type?: unknown }).type)}) does not match SyncLineSchema`)
    if (i > 0 && line.type === 'schema') problems.push(`line ${i} is a second schema line`)
  })
  const terminals = lines.filter((l) => l.type === 'end' || l.type === 'error').length
  if (terminals !== 1) problems.push(`${terminals} terminal lines`)
  const last = lines.at(-1)
  if (last?.type !== 'end' && last?.type !== 'error') problems.push(`last line is ${String(last?.type)}`)
  let rows = 0
  for (const line of lines) {
    if (line.type === 'record') rows++
    if (line.type === 'state' && line.rows !== rows) problems.push(`state line says ${line.rows} rows, ${rows} were sent`)
    if (line.type === 'end' && line.rows !== rows) problems.push(`end line says ${line.rows} rows, ${rows} were sent`)
  }
  return problems
}

export async function waitFor (predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now()
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
