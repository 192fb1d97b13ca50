/**
 * The requests a replica's known runs keep in flight beyond each page loop's own one, counted across
 * every run of the engine services: one sync fetches a run of known pages concurrently, while a hundred
 * syncs at once (already CPU-bound, each with a request out) do not multiply their buffered pages.
 */
export const DEFAULT_KNOWN_PAGES_IN_FLIGHT = 32

export class InFlightPool {
  #used = 0

  constructor (readonly size: number) {}

  /** Take a slot if one is free. */
  tryTake (): boolean {
    if (this.#used >= this.size) return false
    this.#used++
    return true
  }

  give (): void {
    if (this.#used > 0) this.#used--
  }
}
