/**
 * Where a running service serves its own sample API, so the Demo source works out of the box: the
 * service's origin (from HOST/PORT; a wildcard listen address is reached through loopback) becomes the
 * Demo's default base URL and an origin the SSRF guard trusts. UPSTREAM_BASE_URLS and a base URL typed
 * into the form still win.
 */
import { upstreamBaseUrlFor, type Settings } from '../../settings.js'
import { SAMPLE_API_PREFIX } from './sample-api.js'
import { DEMO_SOURCE_NAME } from './settings.js'

/** `http://host:port` of this service as it can reach itself. */
export function serviceOrigin (settings: Pick<Settings, 'HOST' | 'PORT'>): string {
  const host = settings.HOST.replace(/^\[|\]$/g, '')
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${settings.PORT}`
}

/** Settings whose UPSTREAM_BASE_URLS route Demo to this service's sample API, unless an operator set one. */
export function withDemoUpstream (settings: Settings): Settings {
  if (upstreamBaseUrlFor(settings, DEMO_SOURCE_NAME) !== undefined) return settings
  return {
    ...settings,
    UPSTREAM_BASE_URLS: { ...settings.UPSTREAM_BASE_URLS, [DEMO_SOURCE_NAME]: serviceOrigin(settings) + SAMPLE_API_PREFIX }
  }
}

/**
 * The origin is only known for sure once the server listens (PORT=0, or a test listening elsewhere than
 * PORT): then the Demo default and the trusted origin follow the real port. An operator's or a form's
 * base URL is left alone.
 */
export function adoptListeningPort (settings: Settings, trustedOrigins: string[], port: number): void {
  const configured = serviceOrigin(settings)
  const actual = serviceOrigin({ HOST: settings.HOST, PORT: port })
  if (actual === configured) return
  if (!trustedOrigins.includes(actual)) trustedOrigins.push(actual)
  const key = Object.keys(settings.UPSTREAM_BASE_URLS).find((name) => name.toLowerCase() === DEMO_SOURCE_NAME.toLowerCase())
  if (key !== undefined && settings.UPSTREAM_BASE_URLS[key] === configured + SAMPLE_API_PREFIX) {
    settings.UPSTREAM_BASE_URLS[key] = actual + SAMPLE_API_PREFIX
  }
}
