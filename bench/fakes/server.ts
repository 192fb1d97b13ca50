/**
 * The plumbing every fake shares: a node:http server on 127.0.0.1 port 0 with keep-alive, JSON
 * replies with Content-Length, and a request counter. Fakes are plain request handlers on top.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void

export interface FakeStats {
  requests: number
  [key: string]: number
}

export interface Fake {
  handler: Handler
  stats: () => FakeStats
  reset: () => void
  /** Change knobs between runs (fan-out budget); ignored by fakes without any. */
  configure?: (options: Record<string, unknown>) => void
}

export async function listen (fake: Fake): Promise<{ server: Server, port: number }> {
  const server = createServer((req, res) => {
    // Bodies of GETs are empty; still drain whatever arrives so the socket stays reusable.
    req.resume()
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1')
    } catch {
      sendJson(res, 400, { message: 'bad url' })
      return
    }
    fake.handler(req, res, url)
  })
  server.keepAliveTimeout = 60_000
  server.headersTimeout = 65_000
  server.requestTimeout = 0
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as AddressInfo).port }
}

export function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendBuffer(res, status, Buffer.from(JSON.stringify(body)), headers)
}

export function sendBuffer (res: ServerResponse, status: number, body: Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length), ...headers })
  res.end(body)
}

/** Run `fn` after `ms` (immediately when 0), so a fake can answer with a per-request latency. */
export function later (ms: number, fn: () => void): void {
  if (ms <= 0) fn()
  else setTimeout(fn, ms)
}

/** A small bounded cache of generated page bodies, so the fake spends its time writing, not stringifying. */
export class BodyCache {
  private readonly map = new Map<string, Buffer>()
  private bytes = 0
  constructor (private readonly maxBytes: number) {}

  get (key: string, make: () => string): Buffer {
    const hit = this.map.get(key)
    if (hit !== undefined) return hit
    const body = Buffer.from(make())
    if (this.bytes + body.length <= this.maxBytes) {
      this.map.set(key, body)
      this.bytes += body.length
    }
    return body
  }
}

export function intParam (value: string | null, fallback: number): number {
  if (value === null || !/^\d+$/.test(value)) return fallback
  return Number(value)
}
