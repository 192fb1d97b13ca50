/**
 * Engine services shared by every run of one app: the HTTP dispatcher (keep-alive pools, SSRF-safe
 * connect), the limiter registry keyed by (source, credential fingerprint), and engine settings.
 * Created once by buildApp(); sources reach it through SourceContext.services.
 */
import type { ClientOptions, RestClient, RunContext } from './types.js'

export interface EngineSettings {
  /** Allow upstream targets on loopback/private/link-local addresses (tests, internal proxies). */
  allowPrivateUpstreams: boolean
  connectTimeoutMs: number
  headersTimeoutMs: number
  bodyTimeoutMs: number
}

export const DEFAULT_ENGINE_SETTINGS: EngineSettings = {
  allowPrivateUpstreams: false,
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 60_000,
  bodyTimeoutMs: 120_000
}

export interface EngineServices {
  readonly settings: EngineSettings
  /** A client bound to one source, one credential and one run (its signal, logger and event sink). */
  createClient: (options: ClientOptions, run: RunContext) => RestClient
  close: () => Promise<void>
}

export function createEngineServices (settings: Partial<EngineSettings> = {}): EngineServices {
  const resolved = { ...DEFAULT_ENGINE_SETTINGS, ...settings }
  return {
    settings: resolved,
    createClient () { throw new Error('engine not implemented yet') },
    async close () {}
  }
}
