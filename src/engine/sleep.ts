/** Abortable waits. */
import { AbortedError } from '../errors.js'

export function abortError (signal: AbortSignal): AbortedError {
  return new AbortedError('The run was cancelled.', { cause: signal.reason })
}

/** Resolve after `ms`, or reject with AbortedError as soon as the signal fires. */
export async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw abortError(signal)
  if (ms <= 0) return
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { clearTimeout(timer); reject(abortError(signal)) }
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve() }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** Settle with `promise`, or reject with AbortedError when the signal fires first. */
export async function raceAbort<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) { promise.catch(() => undefined); throw abortError(signal) }
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { promise.catch(() => undefined); reject(abortError(signal)) }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value) },
      (error: unknown) => { signal.removeEventListener('abort', onAbort); reject(error) }
    )
  })
}
