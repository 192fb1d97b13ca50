/**
 * The origin (scheme://host:port) this service can reach itself at: the listening address when the
 * server listens (PORT=0 included; a wildcard address is reached through loopback), else HOST/PORT.
 * The Demo source's default base URL is built from it per request, never stored in shared settings.
 */
import type { AddressInfo } from 'node:net'
import type { Settings } from './settings.js'

function originOf (host: string, port: number): string {
  const bare = host.replace(/^\[|\]$/g, '')
  const reachable = bare === '0.0.0.0' ? '127.0.0.1' : bare === '::' ? '::1' : bare
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`
}

/** From the settings alone (before or without listening). */
export function serviceOrigin (settings: Pick<Settings, 'HOST' | 'PORT'>): string {
  return originOf(settings.HOST, settings.PORT)
}

/** From the server's address once it listens, else from the settings. */
export function listeningOrigin (address: AddressInfo | string | null, settings: Pick<Settings, 'HOST' | 'PORT'>): string {
  if (address === null || typeof address === 'string') return serviceOrigin(settings)
  return originOf(address.address === '::' || address.address === '0.0.0.0' ? settings.HOST : address.address, address.port)
}
