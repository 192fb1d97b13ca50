import { spawn } from 'node:child_process'
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { ExposureError, shutdown, startServer } from '../../src/server.js'
import { exposureProblem, loadSettings } from '../../src/settings.js'

const SERVER = fileURLToPath(new URL('../../src/server.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

t.test('exposure check: no API_TOKENS means loopback only', async (t) => {
  for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'example.com']) {
    t.match(exposureProblem(loadSettings({}, { HOST: host })), /without API_TOKENS/, host)
  }
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) {
    t.equal(exposureProblem(loadSettings({}, { HOST: host })), null, host)
  }
  t.equal(exposureProblem(loadSettings({}, { HOST: '0.0.0.0', API_TOKENS: ['a-token-of-sixteen-chars'] })), null)
  // Refused before anything binds: the address is never opened.
  await t.rejects(startServer({ settings: loadSettings({}, { HOST: '0.0.0.0', LOG_LEVEL: 'silent' }) }), ExposureError)
})

function runServer (env: Record<string, string>): { done: Promise<{ code: number | null, stdout: string, stderr: string }>, child: ReturnType<typeof spawn> } {
  const child = spawn(process.execPath, ['--import=tsx', SERVER], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const done = new Promise<{ code: number | null, stdout: string, stderr: string }>((resolve) => {
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
  return { child, done }
}

t.test('the process refuses a non-loopback HOST without API_TOKENS and says why', async (t) => {
  const { done } = runServer({ HOST: '0.0.0.0', PORT: '0' })
  const { code, stderr } = await done
  t.equal(code, 2)
  t.match(stderr, /Refusing to listen on 0\.0\.0\.0 without API_TOKENS/)
})

t.test('the process reports every bad setting by name, without echoing values', async (t) => {
  const { done } = runServer({ PORT: 'eighty', LOG_LEVEL: 'loud', API_TOKENS: 'short-secret-x', RESUME_TOKEN_SECRET: 'a-long-enough-secret-0123456789abcdef,short-resume-secret' })
  const { code, stderr } = await done
  t.equal(code, 2)
  t.match(stderr, /PORT/)
  t.match(stderr, /LOG_LEVEL/)
  t.match(stderr, /API_TOKENS/)
  t.match(stderr, /RESUME_TOKEN_SECRET\/1/)
  t.notMatch(stderr, /short-secret-x|short-resume-secret|a-long-enough/)
})

t.test('the process refuses UPSTREAM_BASE_URLS naming an unknown source, naming it', async (t) => {
  const { code, stderr } = await runServer({ HOST: '127.0.0.1', PORT: '0', UPSTREAM_BASE_URLS: '{"Gihtub":"https://proxy.internal/github"}' }).done
  t.equal(code, 2)
  t.match(stderr, /UPSTREAM_BASE_URLS\.Gihtub: no source is named "Gihtub"/)
})

t.test('the process explains a port already in use', async (t) => {
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { blocker.close() })
  const { port } = blocker.address() as AddressInfo
  const { code, stderr } = await runServer({ HOST: '127.0.0.1', PORT: String(port) }).done
  t.equal(code, 1)
  t.match(stderr, `Cannot listen on 127.0.0.1:${port} (EADDRINUSE)`)
})

t.test('SIGTERM: the process serves, then exits cleanly', async (t) => {
  const { child, done } = runServer({ HOST: '127.0.0.1', PORT: '0', SHUTDOWN_GRACE_MS: '2000' })
  const port = await new Promise<number>((resolve, reject) => {
    let seen = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString()
      const match = /"msg":"Server listening at http:\/\/127\.0\.0\.1:(\d+)"/.exec(seen)
      if (match !== null) resolve(Number(match[1]))
    })
    child.on('exit', () => reject(new Error('server exited before listening')))
  })
  const health = await fetch(`http://127.0.0.1:${port}/health`)
  t.equal(health.status, 200)
  child.kill('SIGTERM')
  const { code, stdout } = await done
  t.equal(code, 0)
  t.match(stdout, /"msg":"shutting down"/)
})

t.test('graceful shutdown: long responses are told to end, get the grace period, then the server closes', async (t) => {
  const app = await buildApp({ settings: { LOG_LEVEL: 'silent' } })
  // A stand-in for the sync route: streams until the shutdown signal, then writes a final error line.
  app.get('/test/stream', (request, reply) => {
    reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson' })
    reply.raw.write('{"type":"record"}\n')
    app.lifecycle.signal.addEventListener('abort', () => {
      reply.raw.end(JSON.stringify({ type: 'error', code: 'SERVICE_UNAVAILABLE', retryable: true }) + '\n')
    })
    reply.hijack()
  })
  // A handler that ignores the signal: cut when the grace period is over.
  app.get('/test/stuck', (request, reply) => {
    reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson' })
    reply.raw.write('{"type":"record"}\n')
    reply.hijack()
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo

  const read = (path: string): Promise<{ body: string, complete: boolean }> => new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (response) => {
      let body = ''
      response.on('data', (chunk: Buffer) => { body += chunk.toString() })
      response.on('end', () => resolve({ body, complete: response.complete }))
      response.on('error', () => resolve({ body, complete: false }))
      response.on('aborted', () => resolve({ body, complete: false }))
    }).on('error', reject).end()
  })
  const streaming = read('/test/stream')
  const stuck = read('/test/stuck')
  await new Promise((resolve) => setTimeout(resolve, 100))

  const started = Date.now()
  await shutdown(app, 300)
  const elapsed = Date.now() - started
  const stream = await streaming
  t.match(stream.body, /"type":"error".*"retryable":true/, 'the stream ended with an error line')
  t.ok(stream.complete, 'the stream ended cleanly')
  const cut = await stuck
  t.notOk(cut.complete, 'the stuck response was cut after the grace period')
  t.ok(elapsed >= 250, `close waited for the grace period (${elapsed} ms)`)
  t.notOk(app.server.listening)
})
