/** Shared test setup: engine services allowed to reach loopback fakes, a run context, page collection. */
import pino from 'pino'
import { createEngineServices, type EngineServices, type EngineSettings } from '../../src/engine/services.js'
import type { EngineEvent, Page, Row, RunContext } from '../../src/engine/types.js'
import { startRestFake, type FakeResponse, type RestFake } from '../fakes/rest-fake.js'

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

/** A fake that counts the requests it is answering at once: `peak()` is the most so far, `resetPeak()` starts over. */
export type CountingFake = RestFake & { peak: () => number, resetPeak: () => void, answered: number[] }

async function countingFake (path: string, delayMs: (page: number) => number, answer: (page: number, fake: RestFake) => FakeResponse): Promise<CountingFake> {
  let inflight = 0
  let peak = 0
  const answered: number[] = []
  const fake = await startRestFake({
    [`GET ${path}`]: async (req, f) => {
      const page = Number(req.query.get('page') ?? '1')
      inflight++; peak = Math.max(peak, inflight)
      await new Promise((resolve) => setTimeout(resolve, delayMs(page)))
      inflight--
      answered.push(page)
      return answer(page, f)
    }
  })
  return Object.assign(fake, { peak: () => peak, resetPeak: () => { peak = 0 }, answered })
}

/** Typeform-style `GET /forms` pages (`page_count`, one row each, id = page) after `delayMs(page)`. */
export async function formsFake (pageCount: number, delayMs: (page: number) => number): Promise<CountingFake> {
  return await countingFake('/forms', delayMs, (page) => ({ json: { page_count: pageCount, items: [{ id: page }] } }))
}

/** GitHub-style `GET /issues` pages numbered by `page` (one row each, id = page), with next and last links, after `delayMs(page)`. */
export async function numberedLinkFake (lastPage: number, delayMs: (page: number) => number): Promise<CountingFake> {
  return await countingFake('/issues', delayMs, (page, f) => {
    const at = (n: number, rel: string): string => `<${f.url}/issues?per_page=1&page=${n}>; rel="${rel}"`
    const headers: Record<string, string> = page < lastPage ? { link: `${at(page + 1, 'next')}, ${at(lastPage, 'last')}` } : {}
    return { headers, json: [{ id: page }] }
  })
}
