/** The app with MANIFESTS_DIR pointing at the test manifests, listening on 127.0.0.1:0, and their fakes. */
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { buildApp, type App } from '../../src/app.js'
import { createEngineServices, type EngineServices } from '../../src/engine/services.js'
import { startFreshdeskFake, startPipedriveFake, startWorkableFake, type FreshdeskFake } from '../fakes/manifest-apis.js'
import type { RestFake } from '../fakes/rest-fake.js'
import type { Harness } from '../sync/helpers.js'

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url))

export interface ManifestHarness extends Omit<Harness, 'upstream'> {
  workable: RestFake
  freshdesk: FreshdeskFake
  pipedrive: RestFake
}

export async function startManifestHarness (): Promise<ManifestHarness> {
  const [workable, freshdesk, pipedrive] = await Promise.all([startWorkableFake(), startFreshdeskFake(), startPipedriveFake()])
  const services: EngineServices = createEngineServices({ allowPrivateUpstreams: true, retry: { maxAttempts: 3, baseDelayMs: 5, maxBackoffMs: 10, maxWaitMs: 50 } })
  const app: App = await buildApp({
    settings: {
      LOG_LEVEL: 'silent',
      ALLOW_PRIVATE_UPSTREAMS: true,
      MANIFESTS_DIR: FIXTURES,
      UPSTREAM_BASE_URLS: { workable: `${workable.url}/spi/v3`, freshdesk: `${freshdesk.url}/api/v2`, pipedrive: `${pipedrive.url}/v1` }
    },
    services
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    services,
    logs: [],
    workable,
    freshdesk,
    pipedrive,
    close: async () => {
      await app.close()
      await services.close()
      await Promise.all([workable.close(), freshdesk.close(), pipedrive.close()])
    }
  }
}

export async function post (h: { url: string }, path: string, body: unknown): Promise<{ status: number, body: any }> {
  const response = await fetch(`${h.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: response.status, body: await response.json() }
}
