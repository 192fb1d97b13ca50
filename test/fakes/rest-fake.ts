/**
 * A generic, configurable fake REST API on 127.0.0.1:0 for engine tests. Routes are `METHOD /path`
 * (`:name` segments match anything) → handler; each request is recorded with its arrival time so
 * tests can assert order, params, headers and rate. Responses can be JSON, raw text, truncated, or
 * cut mid-body (connection reset) to exercise retries.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingMessage['headers']
  /** Parsed JSON body, or the raw text when not JSON. */
  body: unknown
  params: Record<string, string>
  /** Arrival time (ms since epoch). */
  at: number
}

export interface FakeResponse {
  status?: number
  headers?: Record<string, string>
  json?: unknown
  /** Raw body text (wins over json). */
  text?: string
  /** Send the headers and this many bytes of the body, then destroy the socket. */
  resetAfterBytes?: number
  /** Wait before answering. */
  delayMs?: number
}

export type FakeHandler = (request: FakeRequest, fake: RestFake) => FakeResponse | Promise<FakeResponse>

export interface RestFake {
  /** http://127.0.0.1:<port> */
  url: string
  requests: FakeRequest[]
  /** Requests to a path (no query). */
  hits: (path: string) => FakeRequest[]
  route: (key: string, handler: FakeHandler) => void
  close: () => Promise<void>
}

function matchRoute (pattern: string, path: string): Record<string, string> | null {
  const a = pattern.split('/')
  const b = path.split('/')
  if (a.length !== b.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < a.length; i++) {
    const p = a[i] as string
    const v = b[i] as string
    if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(v)
    else if (p !== v) return null
  }
  return params
}

async function readBody (req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  if (text === '') return undefined
  try { return JSON.parse(text) } catch { return text }
}

export async function startRestFake (routes: Record<string, FakeHandler> = {}): Promise<RestFake> {
  const table = new Map(Object.entries(routes))
  const sockets = new Set<import('node:net').Socket>()
  const fake: RestFake = {
    url: '',
    requests: [],
    hits: (path) => fake.requests.filter((r) => r.path === path),
    route: (key, handler) => { table.set(key, handler) },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    }
  }
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const at = Date.now()
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const body = await readBody(req)
      let handler: FakeHandler | undefined
      let params: Record<string, string> = {}
      for (const [key, candidate] of table) {
        const space = key.indexOf(' ')
        if (key.slice(0, space) !== req.method) continue
        const matched = matchRoute(key.slice(space + 1), url.pathname)
        if (matched !== null) { handler = candidate; params = matched; break }
      }
      const request: FakeRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body, params, at }
      fake.requests.push(request)
      const response: FakeResponse = handler === undefined ? { status: 404, json: { message: 'Not Found' } } : await handler(request, fake)
      if (response.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, response.delayMs))
      const text = response.text ?? (response.json === undefined ? '' : JSON.stringify(response.json))
      const headers: Record<string, string> = { 'content-type': 'application/json', ...response.headers }
      if (response.resetAfterBytes !== undefined) {
        res.writeHead(response.status ?? 200, { ...headers, 'content-length': String(Buffer.byteLength(text)) })
        res.write(text.slice(0, response.resetAfterBytes), () => { res.socket?.destroy() })
        return
      }
      res.writeHead(response.status ?? 200, { ...headers, 'content-length': String(Buffer.byteLength(text)) })
      res.end(text)
    })().catch((error: unknown) => {
      res.statusCode = 500
      res.end(JSON.stringify({ message: String(error) }))
    })
  })
  server.on('connection', (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return fake
}

/** Rows `{ id: 1..n, updated_at }` with ascending timestamps. */
export function makeRows (n: number, start = Date.UTC(2024, 0, 1)): Array<{ id: number, updated_at: string, name: string }> {
  return Array.from({ length: n }, (_, i) => ({ id: i + 1, updated_at: new Date(start + i * 60_000).toISOString(), name: `row ${i + 1}` }))
}
