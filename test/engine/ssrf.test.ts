/** Address classification as a pure function (no traffic leaves loopback), and target checks. */
import t from 'tap'
import { checkTarget, classifyAddress, createCheckingLookup, parseIPv4, type TargetPolicy } from '../../src/engine/ssrf.js'
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
  ['0x100.1', null]
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
  allowedHosts: new Set(['api.example.com', '127.0.0.1', '10.0.0.5']), allowPrivate: false, trustedOrigins: new Set(), ...over
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
