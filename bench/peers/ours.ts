/**
 * Our side of each comparison: the engine in-process (`createClient().pages()`), and the service end
 * to end (POST the sync route, read and JSON.parse every NDJSON line, check the terminal line).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { StringDecoder } from 'node:string_decoder'
import { pino } from 'pino'
import { Agent, request } from 'undici'
import type { EngineServices } from '../../src/engine/services.js'
import { BENCH_ENDPOINTS, clientOptionsFor, endpointFor, type BenchRun } from '../service/endpoints.js'

const silent = pino({ level: 'silent' })

export async function engineInProcess (services: EngineServices, baseUrl: string, run: BenchRun, signal: AbortSignal, onFirstRow?: () => void): Promise<number> {
  const client = services.createClient(clientOptionsFor(baseUrl, run), { signal, log: silent })
  let rows = 0
  for await (const page of client.pages(endpointFor(run), { catalog: BENCH_ENDPOINTS })) {
    if (rows === 0 && page.rows.length > 0) onFirstRow?.()
    rows += page.rows.length
  }
  return rows
}

export interface SyncReadOptions {
  /** Called when the first `record` line has been parsed. */
  onFirstRecord?: () => void
  /** Read at most this many bytes per second (a slow consumer); absent: as fast as possible. */
  bytesPerSecond?: number
  /** Stop reading (and abort) after this many records. */
  stopAfter?: number
  /** Fail unless this numeric field of the records strictly increases (rows emitted in order). */
  ascending?: string
  /** Fail unless every record has this column with this value (fan-out decoration). */
  column?: { name: string, value: unknown }
}

export interface SyncReadResult {
  records: number
  bytes: number
  lines: number
  terminal: Record<string, unknown> | null
}

/** POST the sync route of the Bench source and parse every line; throws unless it ends with `end`. */
export async function serviceSync (servicePort: number, dispatcher: Agent, baseUrl: string, run: BenchRun, signal: AbortSignal, options: SyncReadOptions = {}): Promise<SyncReadResult> {
  const config: Record<string, unknown> = { base_url: baseUrl }
  if (run.path !== undefined) config.path = run.path
  if (run.budgetPerSecond !== undefined) config.budget = run.budgetPerSecond
  if (run.concurrency !== undefined) config.concurrency = run.concurrency
  return await readSync(servicePort, dispatcher, '/v1/sources/Bench/sync', { config, schema: run.table }, signal, options)
}

export const BENCH_GITHUB_TOKEN = 'github_pat_bench_0123456789abcdefghij'

/** POST the Github source's sync route for `issues` of one repository (the fake's GitHub-shaped list); checks `repository` on every row. */
export async function githubIssuesSync (servicePort: number, dispatcher: Agent, baseUrl: string, repository: string, signal: AbortSignal): Promise<SyncReadResult> {
  const config = { personal_access_token: BENCH_GITHUB_TOKEN, repositories: repository, api_base_url: baseUrl }
  return await readSync(servicePort, dispatcher, '/v1/sources/Github/sync', { config, schema: 'issues' }, signal, { column: { name: 'repository', value: repository } })
}

export async function readSync (servicePort: number, dispatcher: Agent, path: string, body: unknown, signal: AbortSignal, options: SyncReadOptions = {}): Promise<SyncReadResult> {
  const controller = new AbortController()
  const abort = (): void => controller.abort()
  signal.addEventListener('abort', abort, { once: true })
  try {
    const response = await request(`http://127.0.0.1:${servicePort}${path}`, {
      method: 'POST',
      dispatcher,
      signal: controller.signal,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body)
    })
    if (response.statusCode !== 200) {
      const text = await response.body.text()
      throw new Error(`sync: HTTP ${response.statusCode}: ${text.slice(0, 300)}`)
    }
    const decoder = new StringDecoder('utf8')
    const result: SyncReadResult = { records: 0, bytes: 0, lines: 0, terminal: null }
    const started = performance.now()
    let rest = ''
    let last = Number.NEGATIVE_INFINITY
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      result.bytes += chunk.length
      const text = rest + decoder.write(chunk)
      let from = 0
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
        const line = JSON.parse(text.slice(from, nl)) as { type: string, data?: Record<string, unknown> }
        from = nl + 1
        result.lines++
        if (line.type === 'record') {
          if (result.records === 0) options.onFirstRecord?.()
          result.records++
          if (options.ascending !== undefined) {
            const value = Number(line.data?.[options.ascending])
            if (!(value > last)) throw new Error(`record ${result.records} has ${options.ascending} ${value} after ${last}: out of order`)
            last = value
          }
          if (options.column !== undefined && line.data?.[options.column.name] !== options.column.value) {
            throw new Error(`record ${result.records} has ${options.column.name} ${JSON.stringify(line.data?.[options.column.name])}, expected ${JSON.stringify(options.column.value)}`)
          }
        } else if (line.type === 'end' || line.type === 'error') {
          result.terminal = line
        }
      }
      rest = text.slice(from)
      if (options.stopAfter !== undefined && result.records >= options.stopAfter) {
        controller.abort()
        return result
      }
      if (options.bytesPerSecond !== undefined) {
        const due = (result.bytes / options.bytesPerSecond) * 1000 - (performance.now() - started)
        if (due > 1) await sleep(due, undefined, { signal })
      }
    }
    if (result.terminal?.type !== 'end') {
      throw new Error(`sync ended without an end line: ${JSON.stringify(result.terminal)?.slice(0, 300)}`)
    }
    return result
  } finally {
    signal.removeEventListener('abort', abort)
  }
}
