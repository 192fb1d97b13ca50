/** Shared test setup: engine services allowed to reach loopback fakes, a run context, page collection. */
import pino from 'pino'
import { createEngineServices, type EngineServices, type EngineSettings } from '../../src/engine/services.js'
import type { EngineEvent, Page, Row, RunContext } from '../../src/engine/types.js'

export const FAST_RETRY = { baseDelayMs: 5, maxBackoffMs: 20, maxWaitMs: 2_000 }

export function testServices (settings: Partial<EngineSettings> = {}): EngineServices {
  return createEngineServices({ allowPrivateUpstreams: true, retry: FAST_RETRY, ...settings })
}

export function testRun (signal: AbortSignal = new AbortController().signal): RunContext & { events: EngineEvent[], logs: string[] } {
  const logs: string[] = []
  const events: EngineEvent[] = []
  const log = pino({ level: 'debug' }, { write: (line: string) => { logs.push(line) } })
  return { signal, log, events, logs, onEvent: (event) => { events.push(event) } }
}

export async function collect (pages: AsyncIterable<Page>): Promise<{ pages: Page[], rows: Row[] }> {
  const out: Page[] = []
  for await (const page of pages) out.push(page)
  return { pages: out, rows: out.flatMap((p) => p.rows) }
}

/** Largest number of arrival times within any window of `ms`. */
export function peakInWindow (times: readonly number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let peak = 0
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[i] as number) - (sorted[j] as number) >= ms) j++
    peak = Math.max(peak, i - j + 1)
  }
  return peak
}
