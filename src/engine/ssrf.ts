/**
 * SSRF guard. Pure address classification (every IPv4 spelling, IPv4-mapped/embedded IPv6), target
 * checks for request URLs (scheme, allowed hosts, literal addresses) and a `lookup` for undici's
 * connect options that refuses non-public resolved addresses, so the socket goes to the address that
 * was checked (no DNS-rebinding gap between check and connect).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns'
import { isIP } from 'node:net'
import { BlockedTargetError } from '../errors.js'

export type AddressClass =
  | 'public' | 'loopback' | 'private' | 'link_local' | 'cgnat' | 'unique_local' | 'multicast' | 'unspecified' | 'reserved'

/** Parse an IPv4 address in any inet_aton spelling (127.1, 0x7f.1, 2130706433, 0177.0.0.1). */
export function parseIPv4 (input: string): number[] | null {
  const parts = input.split('.')
  if (parts.length === 0 || parts.length > 4) return null
  if (parts[parts.length - 1] === '' && parts.length > 1) parts.pop()
  const numbers: number[] = []
  for (const part of parts) {
    let n: number
    if (/^0x[0-9a-f]*$/i.test(part)) n = part.length === 2 ? 0 : parseInt(part.slice(2), 16)
    else if (/^0[0-7]+$/.test(part)) n = parseInt(part, 8)
    else if (/^(0|[1-9][0-9]*)$/.test(part)) n = Number(part)
    else return null
    if (!Number.isSafeInteger(n)) return null
    numbers.push(n)
  }
  const last = numbers.pop() as number
  if (numbers.some((n) => n > 255)) return null
  if (last >= 256 ** (4 - numbers.length)) return null
  const bytes = [...numbers]
  let rest = last
  const tail: number[] = []
  for (let i = 0; i < 4 - numbers.length; i++) {
    tail.unshift(rest % 256)
    rest = Math.floor(rest / 256)
  }
  return [...bytes, ...tail]
}

/** Parse an IPv6 address (brackets and zone id allowed) into eight 16-bit groups. */
export function parseIPv6 (input: string): number[] | null {
  let text = input.trim()
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1)
  const zone = text.indexOf('%')
  if (zone >= 0) text = text.slice(0, zone)
  if (isIP(text) !== 6) return null
  const halves = text.split('::')
  const toGroups = (s: string): number[] => {
    if (s === '') return []
    const out: number[] = []
    for (const piece of s.split(':')) {
      if (piece.includes('.')) {
        const v4 = parseIPv4(piece)
        if (v4 === null) return []
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
      } else out.push(parseInt(piece, 16))
    }
    return out
  }
  const head = toGroups(halves[0] ?? '')
  const tail = halves.length > 1 ? toGroups(halves[1] ?? '') : []
  const fill = halves.length > 1 ? 8 - head.length - tail.length : 0
  const groups = [...head, ...new Array<number>(fill).fill(0), ...tail]
  return groups.length === 8 ? groups : null
}

function inV4 (b: number[], prefix: number[], bits: number): boolean {
  const value = ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!
  const base = ((prefix[0]! << 24) >>> 0) + ((prefix[1] ?? 0) << 16) + ((prefix[2] ?? 0) << 8) + (prefix[3] ?? 0)
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
  return ((value & mask) >>> 0) === ((base & mask) >>> 0)
}

const V4_TABLE: Array<[number[], number, AddressClass]> = [
  [[0], 8, 'unspecified'],
  [[127], 8, 'loopback'],
  [[10], 8, 'private'],
  [[172, 16], 12, 'private'],
  [[192, 168], 16, 'private'],
  [[169, 254], 16, 'link_local'],
  [[100, 64], 10, 'cgnat'],
  [[192, 0, 0], 24, 'reserved'],
  [[192, 0, 2], 24, 'reserved'],
  [[198, 18], 15, 'reserved'],
  [[198, 51, 100], 24, 'reserved'],
  [[203, 0, 113], 24, 'reserved'],
  [[224], 4, 'multicast'],
  [[240], 4, 'reserved']
]

function classifyV4Bytes (bytes: number[]): AddressClass {
  for (const [prefix, bits, cls] of V4_TABLE) if (inV4(bytes, prefix, bits)) return cls
  return 'public'
}

function v4FromGroups (hi: number, lo: number): number[] {
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]
}

function classifyV6Groups (g: number[]): AddressClass {
  const zeroPrefix = (n: number): boolean => g.slice(0, n).every((x) => x === 0)
  if (g.every((x) => x === 0)) return 'unspecified'
  if (zeroPrefix(7) && g[7] === 1) return 'loopback'
  // IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, IPv4-translated ::ffff:0:a.b.c.d
  if (zeroPrefix(5) && g[5] === 0xffff) return classifyV4Bytes(v4FromGroups(g[6]!, g[7]!))
  if (zeroPrefix(6)) return classifyV4Bytes(v4FromGroups(g[6]!, g[7]!))
  if (zeroPrefix(4) && g[4] === 0xffff && g[5] === 0) return classifyV4Bytes(v4FromGroups(g[6]!, g[7]!))
  // NAT64 64:ff9b::/96 and 64:ff9b:1::/48 embed an IPv4 address in the low 32 bits.
  if (g[0] === 0x64 && g[1] === 0xff9b) return classifyV4Bytes(v4FromGroups(g[6]!, g[7]!))
  // 6to4 2002:AABB:CCDD::/48 embeds AA.BB.CC.DD.
  if (g[0] === 0x2002) return classifyV4Bytes(v4FromGroups(g[1]!, g[2]!))
  const first = g[0]!
  if ((first & 0xfe00) === 0xfc00) return 'unique_local'
  if ((first & 0xffc0) === 0xfe80) return 'link_local'
  if ((first & 0xffc0) === 0xfec0) return 'private'
  if ((first & 0xff00) === 0xff00) return 'multicast'
  if (first === 0x2001 && g[1] === 0x0db8) return 'reserved'
  if (first === 0x2001 && g[1] === 0) return 'reserved' // Teredo
  if (first === 0x0100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return 'reserved' // discard-only 100::/64
  return 'public'
}

/** Classify an IP address literal (any IPv4 spelling, IPv6 with or without brackets). Null: not an IP. */
export function classifyAddress (address: string): AddressClass | null {
  const text = address.trim().toLowerCase()
  if (text.includes(':')) {
    const groups = parseIPv6(text)
    return groups === null ? null : classifyV6Groups(groups)
  }
  const bytes = parseIPv4(text)
  return bytes === null ? null : classifyV4Bytes(bytes)
}

export function isPublicAddress (address: string): boolean {
  return classifyAddress(address) === 'public'
}

export interface TargetPolicy {
  /** Lower-case hostnames requests may go to. */
  allowedHosts: ReadonlySet<string>
  allowPrivate: boolean
  /** Exact origins exempt from the private-address check (the service's own sample API). */
  trustedOrigins: ReadonlySet<string>
}

/** Whether the target's origin bypasses the address check (private allowed, or a trusted origin). */
export function isOpenTarget (url: URL, policy: TargetPolicy): boolean {
  return policy.allowPrivate || policy.trustedOrigins.has(url.origin)
}

/**
 * Check a request target before any connection: scheme, allowed host and (for IP literals) the
 * address class. Hostnames are checked again at connect time by `createCheckingLookup`.
 */
export function checkTarget (url: URL, policy: TargetPolicy): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BlockedTargetError(`Scheme "${url.protocol.replace(':', '')}" is not allowed for upstream requests; use http or https.`)
  }
  if (url.username !== '' || url.password !== '') {
    throw new BlockedTargetError(`Upstream URLs must not carry credentials (${url.protocol}//${url.host}).`)
  }
  const host = url.hostname.toLowerCase()
  if (!policy.allowedHosts.has(host)) {
    throw new BlockedTargetError(`Host "${host}" is not among the hosts this source may call.`)
  }
  if (isOpenTarget(url, policy)) return
  const cls = classifyAddress(host)
  if (cls !== null && cls !== 'public') {
    throw new BlockedTargetError(`Address ${host} is ${cls.replace('_', '-')}; upstream requests to non-public addresses are not allowed.`)
  }
  if (host === 'localhost' || host.endsWith('.localhost')) {
    throw new BlockedTargetError(`Host "${host}" is loopback; upstream requests to non-public addresses are not allowed.`)
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
