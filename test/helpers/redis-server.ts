/**
 * A real redis-server for tests: started on a free loopback port with no persistence, stopped (or
 * killed mid-test and started again on the same port) by the test. Found on PATH or at REDIS_SERVER.
 * Without it a test says so and is skipped locally, but fails in CI (CI=true): .ci/run installs it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import type { Test } from 'tap'

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

/**
 * Ports are drawn below the kernel's ephemeral range (32768+), so no other test's `listen(0)` or
 * freePort() can take one between a kill and a restart; a port already in use is detected from
 * redis-server's own output and another one drawn.
 */
const PORT_RANGE = { from: 20_000, to: 32_000 }

function randomPort (): number {
  return PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from))
}

/** Start redis-server on `port`: resolves once it says it is ready, 'in-use' when the port is taken. */
async function launch (port: number): Promise<{ child: ChildProcess } | 'in-use'> {
  const child = spawn(REDIS_SERVER, [
    '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no',
    '--protected-mode', 'yes', '--daemonize', 'no', '--loglevel', 'notice', '--dir', '/tmp'
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`redis-server did not start on 127.0.0.1:${port}: ${output.slice(-500)}`)) }, 15_000)
    const onData = (d: Buffer): void => {
      output += d.toString()
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer)
        child.stdout?.off('data', onData)
        child.stdout?.resume()
        child.stderr?.resume()
        resolve({ child })
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('error', (error) => { clearTimeout(timer); reject(error) })
    child.once('exit', (code) => {
      clearTimeout(timer)
      if (output.includes('Address already in use')) resolve('in-use')
      else reject(new Error(`redis-server exited (${String(code)}): ${output.slice(-500)}`))
    })
  })
}

async function exited (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  await new Promise<void>((resolve) => { child.once('exit', () => { resolve() }) })
}

export async function startRedis (): Promise<RedisProcess> {
  let port = 0
  let child: ChildProcess | undefined
  for (let attempt = 0; child === undefined; attempt++) {
    if (attempt === 20) throw new Error('no free port for redis-server after 20 tries')
    port = randomPort()
    const started = await launch(port)
    if (started !== 'in-use') child = started.child
  }
  const kill = async (): Promise<void> => {
    if (child === undefined) return
    const c = child
    child = undefined
    c.kill('SIGKILL')
    await exited(c)
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    restart: async () => {
      const started = await launch(port)
      if (started === 'in-use') throw new Error(`port ${port} was taken while redis-server was down`)
      child = started.child
    },
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
