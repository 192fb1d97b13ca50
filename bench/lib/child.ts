/**
 * Forked helper processes (fakes, the service under test): start, wait for `ready`, call over IPC,
 * read memory from /proc, stop. Every child is killed when the bench exits, whatever the reason.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const READY_TIMEOUT_MS = 60_000
const CALL_TIMEOUT_MS = 30_000
const live = new Set<ChildProcess>()

process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

export interface Child {
  pid: number
  port: number
  ready: Record<string, unknown>
  call: <T = unknown>(method: string, args?: unknown) => Promise<T>
  /** Resident set size now, in bytes (from /proc/<pid>/status). */
  rss: () => number
  /** Peak resident set size since start (VmHWM), in bytes. */
  peakRss: () => number
  stop: () => Promise<void>
}

export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url))

export interface StartOptions {
  args?: string[]
  env?: Record<string, string>
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[]
}

export async function startChild (script: string, options: StartOptions = {}): Promise<Child> {
  const child = fork(new URL(`../${script}`, import.meta.url), options.args ?? [], {
    execArgv: ['--import', 'tsx', ...(options.nodeFlags ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc']
  })
  live.add(child)
  child.once('exit', () => live.delete(child))
  const pending = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void, timer: NodeJS.Timeout }>()
  let nextId = 1
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script}: not ready after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS)
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${script}: exited with ${code} before ready`)) })
    child.on('message', (message: { type?: string, id?: number, result?: unknown, error?: string }) => {
      if (message.type === 'ready') {
        clearTimeout(timer)
        resolve(message as Record<string, unknown>)
        return
      }
      const call = message.id === undefined ? undefined : pending.get(message.id)
      if (call === undefined) return
      pending.delete(message.id!)
      clearTimeout(call.timer)
      if (message.error !== undefined) call.reject(new Error(message.error))
      else call.resolve(message.result)
    })
  })
  child.on('exit', () => {
    for (const call of pending.values()) { clearTimeout(call.timer); call.reject(new Error(`${script} exited`)) }
    pending.clear()
  })
  const pid = child.pid!
  const status = (field: string): number => {
    try {
      const text = readFileSync(`/proc/${pid}/status`, 'utf8')
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)
      return match === null ? Number.NaN : Number(match[1]) * 1024
    } catch {
      return Number.NaN
    }
  }
  return {
    pid,
    port: Number(ready.port),
    ready,
    call: async <T>(method: string, args?: unknown) => await new Promise<T>((resolve, reject) => {
      const id = nextId++
      const timer = setTimeout(() => { pending.delete(id); reject(new Error(`${script}.${method}: no answer after ${CALL_TIMEOUT_MS} ms`)) }, CALL_TIMEOUT_MS)
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer })
      child.send({ id, method, args })
    }),
    rss: () => status('VmRSS'),
    peakRss: () => status('VmHWM'),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      if (child.connected) child.send({ id: 0, method: 'exit' })
      else child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    }
  }
}

/** Sample a child's RSS every `everyMs` until stopped; returns the highest value seen. */
export function sampleRss (child: Child, everyMs = 25): { stop: () => number } {
  let peak = child.rss()
  const timer = setInterval(() => {
    const now = child.rss()
    if (now > peak) peak = now
  }, everyMs)
  return {
    stop: () => {
      clearInterval(timer)
      const now = child.rss()
      return Number.isFinite(now) && now > peak ? now : peak
    }
  }
}
