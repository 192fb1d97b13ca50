/**
 * What a source's test module sets up around its vendor fake: the real app routing the source to the
 * fake (UPSTREAM_BASE_URLS), fast retries, every log line captured, a SourceContext for direct pipeline
 * calls and a `validate` through the route. Closed with the test (app, services, then the fake).
 */
import type { Test } from 'tap'
import pino from 'pino'
import { Writable } from 'node:stream'
import { buildApp, type App } from '../../src/app.js'
import { createEngineServices, type EngineServices } from '../../src/engine/services.js'
import type { AnySource, SourceContext } from '../../src/sources/types.js'

export interface SourceHarness {
  app: App
  services: EngineServices
  context: (overrides?: Partial<SourceContext>) => SourceContext
  validate: (config: Record<string, unknown>) => Promise<{ status: number, body: any, raw: string }> // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function startSourceHarness (t: Test, options: {
  /** Source name as registered, e.g. `Stripe`. */
  name: string
  upstream: { url: string, close: () => Promise<void> }
  /** Receives every log line the app writes (LOG_LEVEL debug). */
  logLines: string[]
  sources?: readonly AnySource[]
}): Promise<SourceHarness> {
  const { name, upstream } = options
  const services = createEngineServices({ allowPrivateUpstreams: true, retry: { baseDelayMs: 5, maxBackoffMs: 20 } })
  const logStream = new Writable({ write (chunk, _enc, done) { options.logLines.push(String(chunk)); done() } })
  const app = await buildApp({
    settings: { LOG_LEVEL: 'debug', UPSTREAM_BASE_URLS: { [name]: upstream.url }, ALLOW_PRIVATE_UPSTREAMS: true },
    services,
    logStream,
    ...(options.sources === undefined ? {} : { sources: options.sources })
  })
  t.teardown(async () => {
    await app.close()
    await services.close()
    await upstream.close()
  })
  return {
    app,
    services,
    context: (overrides = {}) => ({ services, baseUrlOverride: upstream.url, log: pino({ level: 'silent' }), signal: new AbortController().signal, ...overrides }),
    validate: async (config) => {
      const response = await app.inject({ method: 'POST', url: `/v1/sources/${name}/validate`, payload: { config } })
      return { status: response.statusCode, body: response.json(), raw: response.body }
    }
  }
}
