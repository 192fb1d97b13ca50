/**
 * SSRF guard. Pure address classification (ipaddr.js parses every IPv4 spelling and IPv6 form; this
 * module adds only the IPv4 addresses embedded in NAT64, 6to4 and IPv4-compatible IPv6 addresses,
 * which ipaddr.js names but does not unwrap), target checks for request URLs (scheme, allowed
 * origins, literal addresses) and a `lookup` for undici's connect options that refuses non-public
 * resolved addresses, so the socket goes to the address that was checked (no DNS-rebinding gap).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns'
import ipaddr from 'ipaddr.js'
import { BlockedTargetError } from '../errors.js'

export type AddressClass =
  | 'public' | 'loopback' | 'private' | 'link_local' | 'cgnat' | 'unique_local' | 'multicast' | 'unspecified' | 'reserved'

/** ipaddr.js range names → our classes. Names not listed (unicast, as112, amt, ...) are public. */
const RANGE_CLASS: Readonly<Record<string, AddressClass>> = {
  unspecified: 'unspecified',
  loopback: 'loopback',
  private: 'private',
  deprecatedSiteLocal: 'private',
  linkLocal: 'link_local',
  carrierGradeNat: 'cgnat',
  uniqueLocal: 'unique_local',
  multicast: 'multicast',
  broadcast: 'reserved',
  reserved: 'reserved',
  benchmarking: 'reserved',
  teredo: 'reserved',
  discard: 'reserved',
  deprecatedOrchid: 'reserved',
  orchid2: 'reserved',
  droneRemoteIdProtocolEntityTags: 'reserved',
  segmentRouting: 'reserved'
}

/** Parse an IPv4 address in any inet_aton spelling (127.1, 0x7f.1, 2130706433, 0177.0.0.1). */
export function parseIPv4 (input: string): number[] | null {
  const text = input.trim().replace(/\.$/, '')
  return ipaddr.IPv4.isValid(text) ? ipaddr.IPv4.parse(text).octets : null
}

function classifyV4 (address: ipaddr.IPv4): AddressClass {
  return RANGE_CLASS[address.range()] ?? 'public'
}

function v4FromParts (hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff])
}

function classifyV6 (address: ipaddr.IPv6): AddressClass {
  const p = address.parts
  switch (address.range()) {
    // ::ffff:a.b.c.d and ::ffff:0:a.b.c.d; NAT64 64:ff9b::/96 and 64:ff9b:1::/48 (low 32 bits).
    case 'ipv4Mapped': case 'rfc6145': case 'rfc6052': return classifyV4(v4FromParts(p[6]!, p[7]!))
    // 6to4 2002:AABB:CCDD::/48 embeds AA.BB.CC.DD.
    case '6to4': return classifyV4(v4FromParts(p[1]!, p[2]!))
    case 'unicast':
      // IPv4-compatible ::a.b.c.d (deprecated; ipaddr.js has no range for it).
      if (p.slice(0, 6).every((x) => x === 0)) return classifyV4(v4FromParts(p[6]!, p[7]!))
      return 'public'
    default: return RANGE_CLASS[address.range()] ?? 'public'
  }
}

/** Classify an IP address literal (any IPv4 spelling, IPv6 with or without brackets). Null: not an IP. */
export function classifyAddress (address: string): AddressClass | null {
  let text = address.trim().toLowerCase()
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1)
  if (text.includes(':')) return ipaddr.IPv6.isValid(text) ? classifyV6(ipaddr.IPv6.parse(text)) : null
  const octets = parseIPv4(text)
  return octets === null ? null : classifyV4(new ipaddr.IPv4(octets))
}

export function isPublicAddress (address: string): boolean {
  return classifyAddress(address) === 'public'
}

/** A host name without its trailing dot(s): `localhost.` and `localhost` are one name. */
export function canonicalHostname (hostname: string): string {
  return hostname.toLowerCase().replace(/\.+$/, '')
}

/**
 * `scheme://host[:port]` with the host canonical (lower case, no trailing dot) and the default port
 * left out, as `URL.origin` does. Two URLs may share credentials only when their origins are equal.
 */
export function originOf (url: URL | string): string {
  const parsed = typeof url === 'string' ? new URL(url) : url
  return `${parsed.protocol}//${canonicalHostname(parsed.hostname)}${parsed.port === '' ? '' : `:${parsed.port}`}`
}

export interface TargetPolicy {
  /** Origins (from `originOf`) requests may go to: the base URL's and those the source declares. */
  allowedOrigins: ReadonlySet<string>
  allowPrivate: boolean
  /** Exact origins exempt from the private-address check (the service's own sample API). */
  trustedOrigins: ReadonlySet<string>
}

/** Whether the target's origin bypasses the address check (private allowed, or a trusted origin). */
export function isOpenTarget (url: URL, policy: TargetPolicy): boolean {
  return policy.allowPrivate || policy.trustedOrigins.has(originOf(url))
}

/**
 * Check a request target before any connection: scheme, allowed origin (scheme, host and port) and
 * (for IP literals and `localhost` names) the address class. Host names are checked again at connect
 * time by `createCheckingLookup`.
 */
export function checkTarget (url: URL, policy: TargetPolicy): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BlockedTargetError(`Scheme "${url.protocol.replace(':', '')}" is not allowed for upstream requests; use http or https.`)
  }
  if (url.username !== '' || url.password !== '') {
    throw new BlockedTargetError(`Upstream URLs must not carry credentials (${url.protocol}//${url.host}).`)
  }
  const origin = originOf(url)
  if (!policy.allowedOrigins.has(origin)) {
    throw new BlockedTargetError(`Origin ${origin} is not among the origins this source may call (${[...policy.allowedOrigins].join(', ')}).`, { origin })
  }
  if (isOpenTarget(url, policy)) return
  const host = canonicalHostname(url.hostname)
  const cls = classifyAddress(host)
  if (cls !== null && cls !== 'public') {
    throw new BlockedTargetError(`Address ${host} is ${cls.replace('_', '-')}; upstream requests to non-public addresses are not allowed.`, { origin })
  }
  if (host === 'localhost' || host.endsWith('.localhost')) {
    throw new BlockedTargetError(`Host "${host}" is loopback; upstream requests to non-public addresses are not allowed.`, { origin })
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/**
 * A `lookup` for net/tls connect that resolves like dns.lookup and fails when any resolved address is
 * not public. The socket then connects to exactly the address returned here.
 */
export function createCheckingLookup (resolve: typeof dnsLookup = dnsLookup) {
  return function checkingLookup (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err !== null) { callback(err, []); return }
      const list = addresses as LookupAddress[]
      for (const entry of list) {
        const cls = classifyAddress(entry.address)
        if (cls !== 'public') {
          callback(new BlockedTargetError(`Host "${hostname}" resolves to a ${String(cls).replace('_', '-')} address; upstream requests to non-public addresses are not allowed.`) as unknown as NodeJS.ErrnoException, [])
          return
        }
      }
      if ((options as LookupAllOptions).all === true) callback(null, list)
      else if (list[0] === undefined) callback(Object.assign(new Error(`No address for ${hostname}`), { code: 'ENOTFOUND' }), [])
      else callback(null, list[0].address, list[0].family)
    })
  }
}
