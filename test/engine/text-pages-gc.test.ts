/**
 * A text page nobody holds any more dies young. Its text is a large object in V8 (~300 KB here), and a
 * large object that survives one young-generation collection is promoted, to be freed only by a full
 * one: anything old that still points to a dropped page (a WeakMap entry, a per-page map made by a
 * getter in an object literal) made a long sync's old generation grow with dead page texts
 * (bench/README.md, scenario 4). The probe (probes/text-pages-gc.ts) runs in its own process, with
 * --expose-gc, and reports the heap's growth over 80 pages after young collections only.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'

const PROBE = fileURLToPath(new URL('./probes/text-pages-gc.ts', import.meta.url))

interface ProbeResult { grownBytes: number, textBytes: number, textPages: number, held: number, void?: true }

async function probe (body: 'bare' | 'wrapped', mode: 'drop' | 'hold'): Promise<ProbeResult> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import=tsx', PROBE, body, mode], { timeout: 50_000 })
  return JSON.parse(stdout.trim().split('\n').pop() as string) as ProbeResult
}

for (const body of ['bare', 'wrapped'] as const) {
  t.test(`${body} text pages: dropped pages are not promoted; held ones are seen`, async (t) => {
    const dropped = await probe(body, 'drop')
    t.notOk(dropped.void, 'a run with no full collection in it')
    t.equal(dropped.textPages, 80, 'every page was a text page')
    t.ok(dropped.grownBytes < dropped.textBytes / 3, `heap grew ${dropped.grownBytes} B over ${dropped.textBytes} B of page text`)
    // The same run holding every page: the probe sees what stays reachable.
    const held = await probe(body, 'hold')
    t.equal(held.held, 80)
    t.ok(held.grownBytes > held.textBytes * 0.9, `holding the pages, the heap grew ${held.grownBytes} B over ${held.textBytes} B`)
  })
}
