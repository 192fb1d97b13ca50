/**
 * Bounded look-ahead: pulls up to `size` items from a source ahead of the consumer, no more, so a slow
 * consumer slows the producer instead of growing memory. `close()` stops pulling.
 */
type Slot<T> = { kind: 'value', value: T } | { kind: 'error', error: unknown } | { kind: 'done' }

export class LookAhead<T> implements AsyncIterableIterator<T> {
  private readonly source: AsyncIterator<T>
  private readonly slots: Array<Slot<T>> = []
  private finished = false
  private pumping = false
  private wake: (() => void) | undefined

  constructor (iterable: AsyncIterable<T>, private readonly size: number) {
    this.source = iterable[Symbol.asyncIterator]()
    this.pump()
  }

  [Symbol.asyncIterator] (): this { return this }

  async next (): Promise<IteratorResult<T>> {
    for (;;) {
      const slot = this.slots.shift()
      if (slot !== undefined) {
        this.pump()
        if (slot.kind === 'value') return { value: slot.value, done: false }
        if (slot.kind === 'error') throw slot.error
        return { value: undefined, done: true }
      }
      if (this.finished && !this.pumping) return { value: undefined, done: true }
      await new Promise<void>((resolve) => { this.wake = resolve })
    }
  }

  async return (): Promise<IteratorResult<T>> {
    this.close()
    return { value: undefined, done: true }
  }

  /** Stop pulling; the source's `return` runs once its current step settles. */
  close (): void {
    if (this.finished) return
    this.finished = true
    this.slots.length = 0
    if (!this.pumping) void this.source.return?.()?.catch(() => undefined)
  }

  private pump (): void {
    if (this.pumping || this.finished || this.slots.length >= this.size) return
    this.pumping = true
    void (async () => {
      try {
        while (!this.finished && this.slots.length < this.size) {
          let result: IteratorResult<T>
          try {
            result = await this.source.next()
          } catch (error) {
            if (!this.finished) this.slots.push({ kind: 'error', error })
            this.finished = true
            break
          }
          if (this.finished) { void this.source.return?.()?.catch(() => undefined); break }
          if (result.done === true) { this.slots.push({ kind: 'done' }); this.finished = true; break }
          this.slots.push({ kind: 'value', value: result.value })
          this.notify()
        }
      } finally {
        this.pumping = false
        this.notify()
      }
    })()
  }

  private notify (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}
