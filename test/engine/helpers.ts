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
