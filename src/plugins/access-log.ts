/**
 * One access line per request, with its outcome, written when the response closes, whether it finished
 * or the client left first (an aborted credential check, a sync whose reader went away). fastify's own
 * request lines are silenced: it writes none for a response that never finishes. Plain values only: the
 * query string may carry anything a caller typed, so it is left out.
 *
 * Levels say whether anyone must act: `info` for answers, refusals and expected unavailability (503 while
 * draining), `warn` for other 5xx (the upstream failed), `error` for 500 (a bug, logged with its stack by
 * the error handler).
 */
import { LogController, type FastifyInstance } from 'fastify'

declare module 'fastify' {
  interface FastifyRequest {
    /** A route's own word for how the request ended (the sync outcome); default from the status. */
    accessOutcome?: string
  }
}

/** Status logged for a request whose client left before any answer was sent (nginx's convention). */
export const CLIENT_CLOSED_STATUS = 499

export class QuietRequestLog extends LogController {
  override incomingRequest (): void {}
  override requestCompleted (): void {}
}

function outcomeOf (finished: boolean, status: number): string {
  if (!finished) return 'client_gone'
  return status >= 500 ? 'failed' : status >= 400 ? 'rejected' : 'completed'
}

function levelOf (status: number): 'info' | 'warn' | 'error' {
  if (status === 500) return 'error'
  return status > 500 && status !== 503 ? 'warn' : 'info'
}

/** Install first, so every later hook's refusal is logged too. */
export function registerAccessLog (app: FastifyInstance): void {
  app.decorateRequest('accessOutcome', undefined) // declared up front: every request object keeps one shape
  app.addHook('onRequest', async (request, reply) => {
    const started = performance.now()
    const response = reply.raw
    response.once('close', () => {
      const finished = response.writableFinished
      const status = finished || response.headersSent ? response.statusCode : CLIENT_CLOSED_STATUS
      const query = request.url.indexOf('?')
      request.log[levelOf(status)]({
        method: request.method,
        url: query === -1 ? request.url : request.url.slice(0, query),
        statusCode: status,
        outcome: request.accessOutcome ?? outcomeOf(finished, status),
        durationMs: Math.round((performance.now() - started) * 100) / 100
      }, 'request completed')
    })
  })
}
