/**
 * A vendor that enforces a per-account rate limit, Typeform style (2 requests per second per account,
 * `GET /forms?page=&page_size=` answering `{ total_items, page_count, items }`), on 127.0.0.1:0. Every
 * arrival counts; one more than `budget` within any sliding `intervalMs` is answered 429 with
 * `Retry-After` (whole seconds) and counted. `rateLimitFirst` answers the first request 429 on purpose.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface PacedVendorOptions {
  budget: number
  intervalMs: number
  items: number
  /** Answer the very first request 429 with this Retry-After (seconds). */
  rateLimitFirst?: number
  /** Called on each arrival (after it is counted), e.g. to kill Redis mid-sync. */
  onArrival?: (n: number) => void
}

export interface Arrival { at: number, account: string, status: number, page: number }

export interface PacedVendor {
  url: string
  arrivals: Arrival[]
  /** 429s answered because the budget was exceeded (not the forced one). */
  overBudget: () => number
  close: () => Promise<void>
}

export { peakInWindow } from '../engine/helpers.js'

export async function startPacedVendor (options: PacedVendorOptions): Promise<PacedVendor> {
  const arrivals: Arrival[] = []
  let overBudget = 0
  const sockets = new Set<Socket>()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const at = Date.now()
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const account = req.headers.authorization ?? ''
    const page = Number(url.searchParams.get('page') ?? '1')
    const size = Number(url.searchParams.get('page_size') ?? '10')
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      arrivals.push({ at, account, status, page })
      options.onArrival?.(arrivals.length)
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
    }
    req.resume()
    if (url.pathname !== '/forms') { send(404, { code: 'NOT_FOUND', description: 'Endpoint not found' }); return }
    if (options.rateLimitFirst !== undefined && arrivals.length === 0) {
      send(429, { code: 'RATE_LIMITED', description: 'Too many requests' }, { 'retry-after': String(options.rateLimitFirst) })
      return
    }
    const recent = arrivals.filter((a) => a.account === account && a.at > at - options.intervalMs).length
    if (recent >= options.budget) {
      overBudget++
      send(429, { code: 'RATE_LIMITED', description: 'Too many requests' }, { 'retry-after': String(Math.ceil(options.intervalMs / 1000)) })
      return
    }
    const pageCount = Math.ceil(options.items / size)
    const items = Array.from({ length: Math.max(0, Math.min(size, options.items - (page - 1) * size)) }, (_, i) => {
      const n = (page - 1) * size + i + 1
      return { id: `form-${String(n).padStart(4, '0')}`, title: `Form ${n}` }
    })
    send(200, { total_items: options.items, page_count: pageCount, items })
  })
  server.on('connection', (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    overBudget: () => overBudget,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    }
  }
}
