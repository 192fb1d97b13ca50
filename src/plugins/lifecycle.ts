/**
 * Process lifecycle shared by routes and server.ts. When shutdown begins, /ready answers 503 and
 * `signal` aborts (reason: ServiceUnavailableError) so long responses, the NDJSON sync streams, can end
 * with a retryable error line and their last state before the grace period runs out and the server closes.
 */
import { setMaxListeners } from 'node:events'
import { ServiceUnavailableError } from '../errors.js'

export class Lifecycle {
  readonly #controller = new AbortController()
  readonly #onShutdown: Array<() => void> = []

  constructor () {
    // Every open sync stream listens for shutdown (removed when it ends): a replica with more than ten
    // at once is normal, not a leak, so no MaxListenersExceededWarning.
    setMaxListeners(0, this.#controller.signal)
  }

  /** Aborted when shutdown begins; combine it with request.signal in long-running handlers. */
  get signal (): AbortSignal { return this.#controller.signal }

  get shuttingDown (): boolean { return this.#controller.signal.aborted }

  /** Runs `listener` once when shutdown begins (immediately if it already has). */
  onShutdown (listener: () => void): void {
    if (this.shuttingDown) listener()
    else this.#onShutdown.push(listener)
  }

  beginShutdown (): void {
    if (this.shuttingDown) return
    this.#controller.abort(new ServiceUnavailableError('The service is shutting down.'))
    for (const listener of this.#onShutdown.splice(0)) listener()
  }
}
