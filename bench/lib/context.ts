/**
 * What every scenario shares in one bench run: the mode (quick or full), helper processes started on
 * first use (fakes, the service, the pass-through reference) and stopped at the end, and the
 * in-process engine services.
 */
import { Agent } from 'undici'
import { createEngineServices, type EngineServices } from '../../src/engine/services.js'
import { startChild, type Child } from './child.js'

export interface BenchOptions {
  quick: boolean
  /** Measured rounds per comparison (after warm-up). */
  rounds: number
  /** Add `--cpu-prof` to the service process, writing profiles to this directory. */
  profileDir?: string
}

export class BenchContext {
  private readonly children = new Map<string, Promise<Child>>()
  private engineServices: EngineServices | undefined
  /** Keep-alive pool for the bench's own client requests (peers' raw loop, sync reads). */
  readonly agent = new Agent({ keepAliveTimeout: 60_000, connections: 128 })

  constructor (readonly options: BenchOptions) {}

  get quick (): boolean { return this.options.quick }
  get rounds (): number { return this.options.rounds }

  /** A fake in its own process: `link`, `page` or `fanout`. */
  async fake (kind: 'link' | 'page' | 'fanout'): Promise<Child> {
    return await this.child(`fake:${kind}`, () => startChild('fakes/serve.ts', { args: [kind, '{}'] }))
  }

  /** The service (buildApp + the Bench source) in its own process, at the deployed log level. */
  async service (): Promise<Child> {
    return await this.child('service', () => this.startService('bench', 'info'))
  }

  /** Scenario 8's pass-through reference (peers/pass-through-server.ts): the floor a minimal sync server reaches. */
  async passThrough (): Promise<Child> {
    return await this.child('pass-through', () => startChild('peers/pass-through-server.ts'))
  }

  async startService (mode: 'bench' | 'product', level: string, extraFlags: string[] = []): Promise<Child> {
    const nodeFlags = this.options.profileDir === undefined ? [...extraFlags] : [...extraFlags, '--cpu-prof', `--cpu-prof-dir=${this.options.profileDir}`]
    return await startChild('service/main.ts', { args: [mode, level], nodeFlags })
  }

  engine (): EngineServices {
    this.engineServices ??= createEngineServices({ allowPrivateUpstreams: true })
    return this.engineServices
  }

  /** A fresh engine (its own limiters), for runs that must not share budget state. */
  freshEngine (): EngineServices {
    return createEngineServices({ allowPrivateUpstreams: true })
  }

  private async child (key: string, start: () => Promise<Child>): Promise<Child> {
    let child = this.children.get(key)
    if (child === undefined) {
      child = start()
      this.children.set(key, child)
    }
    return await child
  }

  async close (): Promise<void> {
    const children = [...this.children.values()]
    this.children.clear()
    for (const pending of children) {
      try {
        await (await pending).stop()
      } catch {
        // A child that failed to start has nothing to stop.
      }
    }
    await this.engineServices?.close()
    await this.agent.close()
  }
}

export function url (child: Child): string {
  return `http://127.0.0.1:${child.port}`
}

/** A signal that bounds one run in time. */
export function runSignal (ms = 120_000): AbortSignal {
  return AbortSignal.timeout(ms)
}
