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

/**
 * Warm every contender up, then run `rounds` rounds; each round runs every contender once, in an order
 * rotated per round so no peer always goes first. A contender that throws is reported, not retried.
 */
export async function interleave (contenders: Contender[], rounds: number, options: { warmup?: number, pauseMs?: number, expectUnits?: number, noWarmup?: string[] } = {}): Promise<ContenderResult[]> {
  const results = contenders.map((c) => ({ name: c.name, samples: [] as Sample[], error: undefined as string | undefined }))
  const runOne = async (i: number, keep: boolean): Promise<void> => {
    const result = results[i]!
    if (result.error !== undefined) return
    try {
      const sample = await contenders[i]!.run()
      if (options.expectUnits !== undefined && sample.units !== options.expectUnits) {
        throw new Error(`produced ${sample.units} units, expected ${options.expectUnits}`)
      }
      if (keep) result.samples.push(sample)
    } catch (error) {
      result.error = error instanceof Error ? error.message : String(error)
    }
    if (options.pauseMs !== undefined) await sleep(options.pauseMs)
  }
  for (let w = 0; w < (options.warmup ?? 1); w++) {
    for (let i = 0; i < contenders.length; i++) {
      if (options.noWarmup?.includes(contenders[i]!.name) !== true) await runOne(i, false)
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < contenders.length; k++) await runOne((k + round) % contenders.length, true)
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
