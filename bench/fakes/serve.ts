/**
 * Child-process entry for a fake: `fork('bench/fakes/serve.ts', [kind, optionsJson])`. Answers RPCs
 * over IPC (`stats`, `reset`, `configure`), so the fake never runs on the event loop being measured.
 * Exits when its parent goes away, and in any case after MAX_LIFETIME_MS.
 */
import { createFanOutFake } from './fanout.js'
import { createLinkListFake } from './link-list.js'
import { createPageNumberFake } from './page-number.js'
import { listen, type Fake } from './server.js'
import { serveRpc } from '../lib/rpc.js'

const MAX_LIFETIME_MS = 20 * 60_000

function make (kind: string, options: Record<string, unknown>): Fake {
  switch (kind) {
    case 'link': return createLinkListFake()
    case 'page': return createPageNumberFake()
    case 'fanout': return createFanOutFake(options)
    default: throw new Error(`unknown fake kind: ${kind}`)
  }
}

const kind = process.argv[2] ?? ''
const options = JSON.parse(process.argv[3] ?? '{}') as Record<string, unknown>
const fake = make(kind, options)
const { server, port } = await listen(fake)
setTimeout(() => process.exit(0), MAX_LIFETIME_MS).unref()
serveRpc({
  stats: () => fake.stats(),
  reset: () => { fake.reset(); return true },
  configure: (args) => { fake.configure?.(args as Record<string, unknown>); return true },
  close: async () => { server.closeAllConnections(); await new Promise((resolve) => server.close(resolve)); return true }
}, { port })
