/**
 * The real process: `src/server.ts` with default settings (no ALLOW_PRIVATE_UPSTREAMS) streams Demo rows
 * from its own sample API, and on SIGTERM ends an in-flight sync with a retryable error line carrying
 * its last state, then exits 0.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { freePort } from '../helpers/free-port.js'
import type { SyncLine } from '../../src/sync/lines.js'
import { checkLine } from './helpers.js'

const SERVER = fileURLToPath(new URL('../../src/server.ts', import.meta.url))


t.test('SIGTERM during a Demo sync: error line with the last state, then a clean exit', async (t) => {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import=tsx', SERVER], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', SHUTDOWN_GRACE_MS: '5000', ALLOW_PRIVATE_UPSTREAMS: '', UPSTREAM_BASE_URLS: '' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const base = `http://127.0.0.1:${port}`
  const started = Date.now()
  for (;;) {
    try { if ((await fetch(`${base}/health`)).ok) break } catch {}
    if (Date.now() - started > 20_000) throw new Error('server did not start')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }

  const response = await fetch(`${base}/v1/sources/demo/sync`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ config: { rows: 100_000, page_size: 10, latency_ms: 20 }, schema: 'customers' })
  })
  t.equal(response.status, 200)
  const lines: SyncLine[] = []
  let buffered = ''
  let signalled = false
  const decoder = new TextDecoder()
  for await (const chunk of response.body ?? []) {
    buffered += decoder.decode(chunk as Uint8Array, { stream: true })
    let nl = buffered.indexOf('\n')
    while (nl >= 0) {
      lines.push(JSON.parse(buffered.slice(0, nl)) as SyncLine)
      buffered = buffered.slice(nl + 1)
      nl = buffered.indexOf('\n')
    }
    if (!signalled && lines.filter((l) => l.type === 'state').length >= 2) {
      signalled = true
      child.kill('SIGTERM')
    }
  }
  t.ok(signalled, 'the sync was in flight when SIGTERM came')
  t.ok(lines.every((l) => checkLine.Check(l)), 'every line is valid')
  const last = lines.at(-1)
  const lastState = lines.filter((l) => l.type === 'state').at(-1)
  t.match(last, { type: 'error', code: 'SERVICE_UNAVAILABLE', retryable: true })
  t.equal(last?.type === 'error' ? last.state : undefined, lastState?.type === 'state' ? lastState.state : undefined)
  t.equal(await exited, 0, 'the process exits cleanly')
})
