/**
 * A real redis-server for tests: started on a free loopback port with no persistence, stopped (or
 * killed mid-test and started again on the same port) by the test. Found on PATH or at REDIS_SERVER.
 * Without it a test says so and is skipped locally, but fails in CI (CI=true): .ci/run installs it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import type { Test } from 'tap'
import { freePort } from './free-port.js'

export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server'

export interface RedisProcess {
  /** redis://127.0.0.1:<port> */
  url: string
  port: number
  /** SIGKILL: no shutdown, connections cut (what a crash or a failover looks like to clients). */
  kill: () => Promise<void>
  /** Start again on the same port, empty (no persistence). */
  restart: () => Promise<void>
  stop: () => Promise<void>
}

/** Why redis-server cannot be used here, or null when it can. */
export function redisUnavailable (): string | null {
  const probe = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' })
  if (probe.error !== undefined || probe.status !== 0) {
    return `redis-server not found (tried "${REDIS_SERVER}"): install the Debian package redis-server ` +
      '(apt-get install -y redis-server; .ci/run does) or set REDIS_SERVER to its path'
  }
  return null
}

async function waitForPort (port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${output()}`)
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => { resolve(false) })
    })
    if (up) return
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on 127.0.0.1:${port}: ${output()}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function exited (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  await new Promise<void>((resolve) => { child.once('exit', () => { resolve() }) })
}

export async function startRedis (): Promise<RedisProcess> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const launch = async (): Promise<void> => {
    let output = ''
    const proc = spawn(REDIS_SERVER, [
      '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no',
      '--protected-mode', 'yes', '--daemonize', 'no', '--loglevel', 'warning', '--dir', '/tmp'
    ], { stdio: ['ignore', 'pipe', 'pipe'] })
    proc.stdout?.on('data', (d: Buffer) => { output += d.toString() })
    proc.stderr?.on('data', (d: Buffer) => { output += d.toString() })
    child = proc
    await waitForPort(port, proc, () => output.slice(-500))
  }
  const kill = async (): Promise<void> => {
    if (child === undefined) return
    const c = child
    child = undefined
    c.kill('SIGKILL')
    await exited(c)
  }
  await launch()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    restart: launch,
    stop: kill
  }
}

/**
 * For a test that needs Redis: a running server (stopped at teardown), or — when redis-server is
 * missing — a clear message: a skip locally, a failure when CI=true.
 */
export async function redisFor (t: Test): Promise<RedisProcess | undefined> {
  const missing = redisUnavailable()
  if (missing !== null) {
    if (process.env.CI === 'true') t.fail(`this test needs Redis and CI must provide it: ${missing}`)
    else t.pass(`needs Redis: ${missing}`, { skip: `needs Redis: ${missing}` })
    return undefined
  }
  const redis = await startRedis()
  t.teardown(async () => { await redis.stop() })
  return redis
}
