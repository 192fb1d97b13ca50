/**
 * Minimal request/response over the IPC channel of a forked child: the child announces itself with a
 * `ready` message, then answers `{id, method, args}` with `{id, result}` or `{id, error}`. A child
 * whose parent disconnects exits, so nothing outlives the bench.
 */
export type RpcHandlers = Record<string, (args: unknown) => unknown>

interface RpcRequest { id: number, method: string, args?: unknown }

export function serveRpc (handlers: RpcHandlers, ready: Record<string, unknown>): void {
  if (process.send === undefined) throw new Error('serveRpc: not started with an IPC channel (use fork)')
  const send = process.send.bind(process)
  process.on('disconnect', () => process.exit(0))
  const all: RpcHandlers = {
    // A clean exit, so that `--cpu-prof` writes its profile.
    exit: () => { setTimeout(() => process.exit(0), 20); return true },
    ...handlers
  }
  process.on('message', (message: RpcRequest) => {
    const handler = all[message.method]
    if (handler === undefined) {
      send({ id: message.id, error: `unknown method ${message.method}` })
      return
    }
    Promise.resolve()
      .then(() => handler(message.args))
      .then((result) => send({ id: message.id, result }), (error: unknown) => send({ id: message.id, error: String(error) }))
  })
  send({ type: 'ready', ...ready })
}
