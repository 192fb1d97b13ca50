/**
 * Measurement helpers: interleaved rounds of peers after a warm-up, medians, ratios. Every number the
 * suite prints comes out of `interleave()` so that peers share the same noise on a shared machine.
 */
import { setTimeout as sleep } from 'node:timers/promises'

export interface Sample {
  /** Wall time of the run. */
  ms: number
  /** Rows (or requests) the run produced; checked against what the fake served. */
  units: number
  /** Extra figures a scenario wants to keep per run (429 count, first-row ms, ...). */
  extra?: Record<string, number>
}

export type Runner = () => Promise<Sample>

export interface Contender {
  name: string
  run: Runner
}

export interface ContenderResult {
  name: string
  samples: Sample[]
  /** The warm-up runs, in order (kept out of the medians): how a contender warms up. */
  warmups: Sample[]
  /** Median of units/s over the measured runs. */
  rate: number
  /** Median wall time. */
  medianMs: number
  error?: string
}

export function median (values: number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export function medianOf (samples: Sample[], key: string): number {
  return median(samples.map((s) => s.extra?.[key] ?? Number.NaN).filter((v) => !Number.isNaN(v)))
}

export async function timed (fn: () => Promise<number>): Promise<Sample> {
  const started = performance.now()
  const units = await fn()
  return { ms: performance.now() - started, units }
}

/** A small deterministic PRNG (mulberry32), so a run's orders are reproducible. */
function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function shuffled (n: number, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  return order
}

/**
 * Run the contenders named in `solo` alone that many times (a long-running process that warms up slowly),
 * then warm every contender up, then run `rounds` rounds; each round runs every contender once, in a
 * shuffled order (seeded), so no peer always goes first or always follows the same one (and inherits
 * its garbage). A contender that throws is reported, not retried.
 */
export async function interleave (contenders: Contender[], rounds: number, options: { warmup?: number, solo?: Record<string, number>, pauseMs?: number, expectUnits?: number, noWarmup?: string[] } = {}): Promise<ContenderResult[]> {
  const results = contenders.map((c) => ({ name: c.name, samples: [] as Sample[], warmups: [] as Sample[], error: undefined as string | undefined }))
  const runOne = async (i: number, keep: boolean): Promise<void> => {
    const result = results[i]!
    if (result.error !== undefined) return
    try {
      const sample = await contenders[i]!.run()
      if (options.expectUnits !== undefined && sample.units !== options.expectUnits) {
        throw new Error(`produced ${sample.units} units, expected ${options.expectUnits}`)
      }
      ;(keep ? result.samples : result.warmups).push(sample)
    } catch (error) {
      result.error = error instanceof Error ? error.message : String(error)
    }
    if (options.pauseMs !== undefined) await sleep(options.pauseMs)
  }
  for (let i = 0; i < contenders.length; i++) {
    for (let w = 0; w < (options.solo?.[contenders[i]!.name] ?? 0); w++) await runOne(i, false)
  }
  for (let w = 0; w < (options.warmup ?? 1); w++) {
    for (let i = 0; i < contenders.length; i++) {
      if (options.noWarmup?.includes(contenders[i]!.name) !== true) await runOne(i, false)
    }
  }
  const random = seededRandom(0x5eed)
  for (let round = 0; round < rounds; round++) {
    for (const i of shuffled(contenders.length, random)) await runOne(i, true)
  }
  return results.map((r) => ({
    ...r,
    rate: median(r.samples.map((s) => s.units / (s.ms / 1000))),
    medianMs: median(r.samples.map((s) => s.ms))
  }))
}

export function fmt (value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a'
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

export function ratio (value: number, base: number): string {
  if (!Number.isFinite(value) || !Number.isFinite(base) || base === 0) return 'n/a'
  return `${(value / base).toFixed(2)}×`
}
