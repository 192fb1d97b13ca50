/** Address classification as a pure function (no traffic leaves loopback), and target checks. */
import t from 'tap'
import { checkTarget, classifyAddress, createCheckingLookup, originOf, parseIPv4, type TargetPolicy } from '../../src/engine/ssrf.js'
import { BlockedTargetError } from '../../src/errors.js'

const table: Array<[string, string | null]> = [
  ['8.8.8.8', 'public'],
  ['140.82.112.3', 'public'],
  ['127.0.0.1', 'loopback'],
  ['127.1', 'loopback'],
  ['0x7f.1', 'loopback'],
  ['0x7f000001', 'loopback'],
  ['2130706433', 'loopback'],
  ['0177.0.0.1', 'loopback'],
  ['017700000001', 'loopback'],
  ['0.0.0.0', 'unspecified'],
  ['0', 'unspecified'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['172.32.0.1', 'public'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'link_local'],
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.254', 'cgnat'],
  ['100.128.0.1', 'public'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['255.255.255.255', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['::1', 'loopback'],
  ['[::1]', 'loopback'],
  ['::', 'unspecified'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:169.254.169.254', 'link_local'],
  ['::ffff:8.8.8.8', 'public'],
  ['::127.0.0.1', 'loopback'],
  ['64:ff9b::10.0.0.1', 'private'],
  ['2002:7f00:1::', 'loopback'],
  ['fc00::1', 'unique_local'],
  ['fd12:3456:789a::1', 'unique_local'],
  ['fe80::1%eth0', 'link_local'],
  ['fec0::1', 'private'],
  ['ff02::1', 'multicast'],
  ['2001:db8::1', 'reserved'],
  ['2606:4700:4700::1111', 'public'],
  ['example.com', null],
  ['256.1.1.1', null],
  ['1.2.3.4.5', null],
  ['0x100.1', null],
  // Added with ipaddr.js: forms the hand-written parser also covered, now pinned.
  ['127.0.0.1.', 'loopback'],
  ['::7f00:1', 'loopback'],
  ['::ffff:0:10.0.0.1', 'private'],
  ['64:ff9b:1::a9fe:a9fe', 'link_local'],
  ['2002:a9fe:a9fe::1', 'link_local'],
  ['2001::1', 'reserved'],
  ['[fe80::1]', 'link_local'],
  ['0x7F.0.0.1', 'loopback'],
  ['1.2.3.08', null]
]

t.test('classifyAddress table', async (t) => {
  for (const [address, expected] of table) t.equal(classifyAddress(address), expected, address)
})

t.test('parseIPv4 spellings', async (t) => {
  t.same(parseIPv4('127.1'), [127, 0, 0, 1])
  t.same(parseIPv4('10.1.513'), [10, 1, 2, 1])
  t.same(parseIPv4('4294967295'), [255, 255, 255, 255])
  t.equal(parseIPv4('4294967296'), null)
  t.equal(parseIPv4('08.1.1.1'), null, 'leading zero with non-octal digit is not an address')
})

const policy = (over: Partial<TargetPolicy> = {}): TargetPolicy => ({
  allowedOrigins: new Set(['https://api.example.com', 'http://127.0.0.1:9', 'http://127.0.0.1:8000', 'http://127.0.0.1:8001', 'http://10.0.0.5', 'http://localhost:9']),
  allowPrivate: false,
  trustedOrigins: new Set(),
  ...over
})

t.test('property: ipaddr.js reads every inet_aton spelling of an IPv4 address as its four bytes', async (t) => {
  const fc = (await import('fast-check')).default
  const spell = (n: number, radix: 8 | 10 | 16): string => radix === 16 ? `0x${n.toString(16)}` : radix === 8 ? `0${n.toString(8)}` : String(n)
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(8, 10, 16), fc.integer({ min: 1, max: 4 }), (value, radix, parts) => {
    const bytes = [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]
    const head = bytes.slice(0, parts - 1)
    const rest = bytes.slice(parts - 1).reduce((acc, b) => acc * 256 + b, 0)
    const text = [...head.map((b) => spell(b, radix as 8 | 10 | 16)), spell(rest, radix as 8 | 10 | 16)].join('.')
    return JSON.stringify(parseIPv4(text)) === JSON.stringify(bytes)
  }), { numRuns: 500 })
  t.pass('500 spellings')
})

t.test('origins: scheme, canonical host (no trailing dot) and port', async (t) => {
  t.equal(originOf('https://API.example.com./v1'), 'https://api.example.com')
  t.equal(originOf('https://api.example.com:443/v1'), 'https://api.example.com')
  t.equal(originOf('http://127.0.0.1:8000/x?y=1'), 'http://127.0.0.1:8000')
  t.equal(originOf('http://[::1]:8000/'), 'http://[::1]:8000')
})

t.test('checkTarget pins origins: another port, an http downgrade or another host is refused, naming the origin', async (t) => {
  const refused = (url: string): BlockedTargetError => {
    const error = t.throws(() => { checkTarget(new URL(url), policy({ allowPrivate: true })) }, BlockedTargetError, url) as BlockedTargetError
    return error
  }
  t.equal(refused('http://127.0.0.1:10/x').origin, 'http://127.0.0.1:10')
  t.match(refused('http://127.0.0.1:10/x').message, 'http://127.0.0.1:10')
  t.equal(refused('http://api.example.com/v1').origin, 'http://api.example.com', 'https never downgrades')
  t.equal(refused('https://api.example.com:8443/v1').origin, 'https://api.example.com:8443')
  t.equal(refused('https://10.0.0.5/x').origin, 'https://10.0.0.5')
  t.doesNotThrow(() => { checkTarget(new URL('https://api.example.com./v1'), policy()) }, 'a trailing dot is the same name')
})

t.test('a trailing dot does not hide a loopback name or address', async (t) => {
  t.throws(() => { checkTarget(new URL('http://localhost.:9/x'), policy()) }, BlockedTargetError)
  t.throws(() => { checkTarget(new URL('http://localhost..:9/x'), policy()) }, BlockedTargetError)
  t.throws(() => { checkTarget(new URL('http://127.0.0.1.:9/x'), policy()) }, BlockedTargetError)
})

t.test('checkTarget refuses schemes, other hosts, userinfo and private literals', async (t) => {
  t.doesNotThrow(() => { checkTarget(new URL('https://api.example.com/v1'), policy()) })
  t.throws(() => { checkTarget(new URL('ftp://api.example.com/x'), policy()) }, BlockedTargetError)
  t.throws(() => { checkTarget(new URL('file:///etc/passwd'), policy()) }, BlockedTargetError)
  t.throws(() => { checkTarget(new URL('https://evil.example.net/x'), policy()) }, BlockedTargetError)
  t.throws(() => { checkTarget(new URL('https://user:pw@api.example.com/x'), policy()) }, BlockedTargetError)
  t.throws(() => { checkTarget(new URL('http://127.0.0.1:9/x'), policy()) }, BlockedTargetError)
  t.throws(() => { checkTarget(new URL('http://0x7f.1:9/x'), policy()) }, BlockedTargetError, 'URL parser normalises 0x7f.1 → 127.0.0.1')
  t.throws(() => { checkTarget(new URL('http://10.0.0.5/x'), policy()) }, BlockedTargetError)
  t.doesNotThrow(() => { checkTarget(new URL('http://127.0.0.1:9/x'), policy({ allowPrivate: true })) })
  t.doesNotThrow(() => { checkTarget(new URL('http://127.0.0.1:8000/x'), policy({ trustedOrigins: new Set(['http://127.0.0.1:8000']) })) })
  t.throws(() => { checkTarget(new URL('http://127.0.0.1:8001/x'), policy({ trustedOrigins: new Set(['http://127.0.0.1:8000']) })) }, BlockedTargetError, 'only the exact origin is trusted')
})

t.test('checking lookup refuses names resolving to non-public addresses', async (t) => {
  const fakeDns = (answers: string[]) => ((_host: string, _opts: unknown, cb: (e: null, a: Array<{ address: string, family: number }>) => void) => {
    cb(null, answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })))
  }) as unknown as typeof import('node:dns').lookup
  const run = async (answers: string[], all: boolean): Promise<unknown> => await new Promise((resolve) => {
    createCheckingLookup(fakeDns(answers))('rebind.example', { all } as never, (err, address) => { resolve(err ?? address) })
  })
  t.type(await run(['93.184.216.34', '127.0.0.1'], true), BlockedTargetError, 'one private answer blocks')
  t.type(await run(['::ffff:169.254.169.254'], false), BlockedTargetError)
  t.equal(await run(['93.184.216.34'], false), '93.184.216.34')
  t.same(await run(['93.184.216.34'], true), [{ address: '93.184.216.34', family: 4 }])
})
