/**
 * Child-process entry for the service under test: `buildApp()` as server.ts builds it, listening on
 * 127.0.0.1 port 0. argv[2] picks the sources: `product` (the registered ones only, for the
 * metadata routes) or `bench` (the registered ones plus the Bench source that reads the fakes).
 * argv[3] is the log level (default `info`, as deployed; its output goes to /dev/null).
 */
import { buildApp } from '../../src/app.js'
import { SOURCES } from '../../src/sources/registry.js'
import type { Settings } from '../../src/settings.js'
import { serveRpc } from '../lib/rpc.js'
import { benchSource } from './bench-source.js'

const MAX_LIFETIME_MS = 20 * 60_000

const mode = process.argv[2] ?? 'bench'
const level = (process.argv[3] ?? 'info') as Settings['LOG_LEVEL']
const app = await buildApp({
  settings: { LOG_LEVEL: level, ALLOW_PRIVATE_UPSTREAMS: true, PORT: 0 },
  ...(mode === 'bench' ? { sources: [...SOURCES, benchSource] } : {})
})
await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
const port = typeof address === 'object' && address !== null ? address.port : 0
setTimeout(() => process.exit(0), MAX_LIFETIME_MS).unref()
serveRpc({
  memory: () => process.memoryUsage(),
  cpu: () => process.cpuUsage(),
  gc: () => { (globalThis as { gc?: () => void }).gc?.(); return true },
  close: async () => { await app.close(); return true }
}, { port })
