/**
 * Writes NDJSON lines to an HTTP response with backpressure: when `res.write()` reports a full buffer,
 * the next write waits for `drain` (or for the client to leave). Lines are written whole, a page at a
 * time, so a reader always sees complete lines. After the terminal line nothing more is written.
 */
import { randomBytes } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { RawRows } from '../engine/index.js'
import type { Row } from '../engine/types.js'
import type { LogLine, SyncLine, TerminalLine } from './lines.js'

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson'

export class NdjsonWriter {
  readonly #res: ServerResponse
  readonly #stop: AbortSignal | undefined
  #ended = false
  #gone = false
  /** How many times a write had to wait for the client to drain (observability and tests). */
  drainWaits = 0

  /** `stop` (the run's signal) ends any wait for drain, so a stalled client cannot hold up shutdown. */
  constructor (res: ServerResponse, stop?: AbortSignal) {
    this.#res = res
    this.#stop = stop
    // A client that left before the stream started closed the response already: no 'close' will follow.
    if (res.destroyed) this.#gone = true
    else res.once('close', () => { if (!res.writableFinished) this.#gone = true })
  }

  /** True once the client disconnected before the stream ended. */
  get clientGone (): boolean { return this.#gone }

  /** True once the terminal line was written (or the client left). */
  get ended (): boolean { return this.#ended || this.#gone }

  start (headers: Record<string, string>): void {
    this.#res.writeHead(200, { 'content-type': NDJSON_CONTENT_TYPE, 'cache-control': 'no-store', ...headers })
    this.#res.flushHeaders()
  }

  /** Write lines now, without waiting (small, bounded lines such as logs). Returns false when not written. */
  writeNow (line: SyncLine | LogLine): boolean {
    if (this.ended) return false
    this.#send(JSON.stringify(line) + '\n')
    return true
  }

  /** Write lines and wait until the response buffer has room again. */
  async write (...lines: SyncLine[]): Promise<void> {
    if (this.ended) return
    let chunk = ''
    for (const line of lines) chunk += JSON.stringify(line) + '\n'
    await this.#writeChunk(chunk)
  }

  /**
   * Write one record line per row, then `after` (the page's state line), as one buffer, then wait for room.
   * The page's rows are stringified in one call (pageRecords), which costs about two thirds of one call
   * per row (bench/README.md, "write path"); the per-row form stays for the rare page it cannot take.
   */
  async writeRecords (rows: readonly Row[], after?: SyncLine): Promise<void> {
    if (this.ended || (rows.length === 0 && after === undefined)) return
    const tail = after === undefined ? '' : JSON.stringify(after) + '\n'
    await this.#writeChunk(pageRecords(rows, tail) ?? recordsLineByLine(rows, tail))
  }

  /** The same for the first `n` rows of a page kept as text: each row's own text, with its appended columns. */
  async writeRawRecords (raw: RawRows, n: number, after?: SyncLine): Promise<void> {
    if (this.ended || (n === 0 && after === undefined)) return
    const tail = after === undefined ? '' : JSON.stringify(after) + '\n'
    // An ASCII page (known from its bytes) with ASCII columns and tail needs no look at the whole chunk.
    const ascii = raw.ascii && isAsciiText(raw.columns) && isAsciiText(tail)
    await this.#writeChunk(rawRecords(raw, n, tail), ascii ? 'latin1' : undefined)
  }

  /**
   * Write the terminal line and end the response once everything is flushed to the socket (a no-op once
   * ended). Ending only after the flush matters at shutdown: Node's server.close() destroys connections
   * whose response has ended, flushed or not, which would cut a slow reader's rows and terminal line.
   */
  async finish (line: TerminalLine): Promise<void> {
    if (this.ended) return
    this.#ended = true
    const res = this.#res
    await new Promise<void>((resolve) => {
      const done = (): void => { res.off('close', done); resolve() }
      res.once('close', done)
      this.#send(JSON.stringify(line) + '\n', done)
    })
    if (!res.destroyed) res.end()
  }

  /** End without a terminal line (the client is gone, or nothing can be said). */
  abandon (): void {
    if (this.#ended) return
    this.#ended = true
    if (!this.#res.destroyed) this.#res.destroy()
  }

  /**
   * Text that is all ASCII (its UTF-8 length equals its length, a fast check) is written as latin1:
   * the same bytes, without a UTF-8 encoding pass over the chunk; anything else as UTF-8.
   */
  #send (text: string, callback?: () => void, known?: 'latin1'): boolean {
    const encoding = known ?? (isAsciiText(text) ? 'latin1' : 'utf8')
    return callback === undefined ? this.#res.write(text, encoding) : this.#res.write(text, encoding, callback)
  }

  async #writeChunk (chunk: string | Buffer, known?: 'latin1'): Promise<void> {
    if (typeof chunk === 'string' ? this.#send(chunk, undefined, known) : this.#res.write(chunk)) return
    if (this.ended || this.#stop?.aborted === true) return
    this.drainWaits++
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.#res.off('drain', done)
        this.#res.off('close', done)
        this.#stop?.removeEventListener('abort', done)
        resolve()
      }
      this.#res.on('drain', done)
      this.#res.on('close', done)
      this.#stop?.addEventListener('abort', done, { once: true })
    })
  }
}

/** Whether a string is all ASCII: its UTF-8 length equals its length (a fast native count). */
const isAsciiText = (text: string): boolean => Buffer.byteLength(text, 'utf8') === text.length

/** The record line's envelope around a row's JSON: the same text JSON.stringify({ type, data }) gives. */
const RECORD_PREFIX = '{"type":"record","data":'
const RECORD_PREFIX_BYTES = Buffer.from(RECORD_PREFIX, 'latin1')
/**
 * A string no row holds: rows are stringified as one array with this token between them, and the text
 * `,"<token>",` marks where one row ends and the next begins. Random per process and never shown, so
 * data cannot be made to contain it; if a row held it all the same, the count of separators would not
 * match and the page is written line by line instead.
 */
const ROW_SEPARATOR_TOKEN = randomBytes(12).toString('hex')

/**
 * The page's record lines and `tail` as one UTF-8 buffer from a single JSON.stringify of the rows, or
 * undefined when the separators do not split it into exactly one piece per row. `token` (hex) is the
 * process's own but for tests.
 */
export function pageRecords (rows: readonly Row[], tail: string, token = ROW_SEPARATOR_TOKEN): Buffer | undefined {
  const separator = `,"${token}",`
  const n = rows.length
  if (n === 0) return Buffer.from(tail, 'utf8')
  const spaced: unknown[] = new Array<unknown>(2 * n - 1)
  for (let i = 0; i < n; i++) {
    spaced[2 * i] = rows[i]
    if (i > 0) spaced[2 * i - 1] = token
  }
  let text: string
  try {
    text = JSON.stringify(spaced)
  } catch {
    return undefined // a page too large for one string: the rows one by one may still fit
  }
  // '[' and ']' go, each separator becomes a line's '}\n' plus the next line's prefix.
  const size = Buffer.byteLength(text, 'utf8') - 2 - (n - 1) * separator.length + n * (RECORD_PREFIX.length + 2) + Buffer.byteLength(tail, 'utf8')
  const buffer = Buffer.allocUnsafe(size)
  let offset = 0
  let from = 1
  for (let i = 0; i < n; i++) {
    const at = i < n - 1 ? text.indexOf(separator, from) : text.length - 1
    if (at === -1 || (i === n - 1 && text.lastIndexOf(separator) >= from)) return undefined
    offset += RECORD_PREFIX_BYTES.copy(buffer, offset)
    offset += buffer.write(text.slice(from, at), offset, 'utf8')
    buffer[offset++] = 0x7d // }
    buffer[offset++] = 0x0a // \n
    from = at + separator.length
  }
  offset += buffer.write(tail, offset, 'utf8')
  return offset === size ? buffer : undefined
}

/**
 * Record lines of the first `n` rows of a text page and `tail`, as one string (written with a single
 * encoding pass; pieces copied into a buffer one by one cost more). A row's text ends with its closing
 * brace: the appended columns go before it (without their leading comma for `{}`).
 */
export function rawRecords (raw: RawRows, n: number, tail: string): string {
  const { text, bounds, columns } = raw
  const bare = columns.slice(1)
  let out = ''
  for (let i = 0; i < n; i++) {
    const start = bounds[2 * i] as number
    const end = (bounds[2 * i + 1] as number) - 1
    out += RECORD_PREFIX + text.slice(start, end) + (end - start === 1 ? bare : columns) + '}}\n'
  }
  return out + tail
}

/** The same lines, one JSON.stringify per row. */
function recordsLineByLine (rows: readonly Row[], tail: string): Buffer {
  const lines: string[] = new Array<string>(rows.length + 1)
  let chars = tail.length
  for (let i = 0; i < rows.length; i++) {
    const line = RECORD_PREFIX + JSON.stringify(rows[i]) + '}\n'
    lines[i] = line
    chars += line.length
  }
  lines[rows.length] = tail
  return encodeLines(lines, chars)
}

/** Lines as one UTF-8 buffer: `chars` bytes when all ASCII; grown only when a line's UTF-8 form is longer. */
function encodeLines (lines: readonly string[], chars: number): Buffer {
  let buffer = Buffer.allocUnsafe(chars)
  let offset = 0
  for (const line of lines) {
    // Only where the worst case (3 bytes a UTF-16 unit) might not fit is the exact length worked out.
    if (offset + line.length * 3 > buffer.length) {
      const needed = Buffer.byteLength(line, 'utf8')
      if (offset + needed > buffer.length) {
        const grown = Buffer.allocUnsafe(Math.max(buffer.length * 2, offset + needed))
        buffer.copy(grown, 0, 0, offset)
        buffer = grown
      }
    }
    offset += buffer.write(line, offset, 'utf8')
  }
  return offset === buffer.length ? buffer : buffer.subarray(0, offset)
}
