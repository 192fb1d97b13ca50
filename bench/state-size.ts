/**
 * `npx tsx bench/state-size.ts [customers]`: bytes of a Demo `customer_notes` sync stream (default 2,000
 * customers, default page size) and how many of them are state lines. The service serves its own sample
 * API, as after `npm start`. One run: sizes are deterministic, no timing involved.
 */
import type { AddressInfo } from 'node:net'
import { buildApp } from '../src/app.js'

const customers = Number(process.argv[2] ?? 2000)
const app = await buildApp({ settings: { LOG_LEVEL: 'silent', PORT: 0, RESUME_TOKEN_SECRET: ['x'.repeat(32)] } as never })
await app.listen({ host: '127.0.0.1', port: 0 })
try {
  const { port } = app.server.address() as AddressInfo
  const response = await fetch(`http://127.0.0.1:${port}/v1/sources/demo/sync`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ config: { rows: customers }, schema: 'customer_notes' })
  })
  const text = await response.text()
  const lines = text.split('\n').filter((l) => l !== '')
  const states = lines.filter((l) => l.startsWith('{"type":"state"'))
  const stateBytes = states.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0)
  const total = Buffer.byteLength(text)
  const records = lines.filter((l) => l.startsWith('{"type":"record"')).length
  const last = JSON.parse(lines.at(-1) ?? '{}') as { type?: string }
  process.stdout.write(JSON.stringify({
    customers,
    terminal: last.type,
    records,
    stateLines: states.length,
    streamBytes: total,
    stateBytes,
    stateShare: Math.round(stateBytes / total * 1000) / 10,
    meanStateLineBytes: Math.round(stateBytes / Math.max(1, states.length)),
    sampleState: states[Math.floor(states.length / 2)]
  }, null, 2) + '\n')
} finally {
  await app.close()
}
