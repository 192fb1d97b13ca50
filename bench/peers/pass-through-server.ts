/**
 * Child-process entry for scenario 8's pass-through reference — the reference of issue 16: what a
 * 25-line pass-through server reaches. `POST /sync` with `{url, repository}` answers NDJSON: it follows
 * the Link header from `url` with undici, starting the next page's request as soon as a response's
 * headers are in (before its body is read), copies `repository` onto every row and writes one `record`
 * line per row (one chunk per page), then the `end` line. No limits, state, watermarks or validation:
 * that is the point, the least a sync service must do, on this machine, in the same run.
 */
import { once } from 'node:events'
import { createServer, type ServerResponse } from 'node:http'
import { Agent, request, type Dispatcher } from 'undici'
import { serveRpc } from '../lib/rpc.js'

const MAX_LIFETIME_MS = 20 * 60_000
const NEXT = /<([^>]+)>\s*;\s*rel="?next"?/
const agent = new Agent({ keepAliveTimeout: 60_000, connections: 8 })

function nextUrl (response: Dispatcher.ResponseData, current: string): string | null {
  const link = response.headers.link
  const match = NEXT.exec(Array.isArray(link) ? link.join(', ') : link ?? '')
  return match === null ? null : new URL(match[1]!, current).href
}

async function sync ({ url, repository }: { url: string, repository: string }, res: ServerResponse): Promise<void> {
  const controller = new AbortController()
  res.once('close', () => controller.abort()) // the reader went away: stop reading upstream
  const get = (target: string): Promise<Dispatcher.ResponseData> => request(target, { dispatcher: agent, signal: controller.signal })
  res.writeHead(200, { 'content-type': 'application/x-ndjson' })
  let rows = 0
  let current = url
  let pending: Promise<Dispatcher.ResponseData> | null = get(url)
  try {
    while (pending !== null) {
      const response: Dispatcher.ResponseData = await pending
      if (response.statusCode !== 200) throw new Error(`upstream HTTP ${response.statusCode} for ${current}`)
      const following = nextUrl(response, current)
      pending = following === null ? null : get(following) // the next page is on its way while this one is parsed
      pending?.catch(() => {}) // awaited on the next turn; handled here in case this page fails first
      current = following ?? current
      const page = await response.body.json() as Array<Record<string, unknown>>
      let chunk = ''
      for (const row of page) { row.repository = repository; chunk += `{"type":"record","data":${JSON.stringify(row)}}\n` }
      rows += page.length
      if (!res.write(chunk)) await once(res, 'drain', { signal: controller.signal })
    }
    res.end(`${JSON.stringify({ type: 'end', rows, last_value: null, earliest_value: null })}\n`)
  } catch (error) {
    controller.abort()
    res.end(`${JSON.stringify({ type: 'error', code: 'UPSTREAM', message: String(error), retryable: true })}\n`)
  }
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/sync') { res.writeHead(404).end(); return }
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () => {
    let body: { url: string, repository: string }
    try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')) } catch { res.writeHead(400).end(); return }
    void sync(body, res)
  })
})
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  setTimeout(() => process.exit(0), MAX_LIFETIME_MS).unref()
  serveRpc({ cpu: () => process.cpuUsage() }, { port: typeof address === 'object' && address !== null ? address.port : 0 })
})
