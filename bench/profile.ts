/**
 * `npx tsx bench/profile.ts <file.cpuprofile | dir> [top]`: the hottest functions of V8 CPU profiles
 * (from `--cpu-prof`, e.g. `npm run bench -- --profile bench/profiles links`), by self time and by
 * total time per file, so a missed target can be traced to code without a flame-graph viewer.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
  children?: number[]
}
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

function files (target: string): string[] {
  if (statSync(target).isDirectory()) {
    return readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(target, f))
  }
  return [target]
}

function shortUrl (url: string): string {
  const cut = url.indexOf('/node_modules/')
  if (cut !== -1) return url.slice(cut + '/node_modules/'.length)
  const src = url.search(/\/(src|bench)\//)
  if (src !== -1) return url.slice(src + 1)
  return url.replace(/^file:\/\//, '') || '(native)'
}

function summarize (file: string, top: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  const byFile = new Map<string, number>()
  let sum = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000
    sum += dt
    const leaf = byId.get(profile.samples[i]!)
    if (leaf === undefined) continue
    const key = (n: ProfileNode): string => `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`
    self.set(key(leaf), (self.get(key(leaf)) ?? 0) + dt)
    const fileKey = shortUrl(leaf.callFrame.url).replace(/:\d+$/, '')
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + dt)
    const seen = new Set<string>()
    for (let n: ProfileNode | undefined = leaf; n !== undefined; n = byId.get(parent.get(n.id) ?? -1)) {
      const k = key(n)
      if (seen.has(k)) continue
      seen.add(k)
      total.set(k, (total.get(k) ?? 0) + dt)
    }
  }
  const table = (map: Map<string, number>, n: number): string => [...map.entries()]
    .sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([k, ms]) => `  ${ms.toFixed(0).padStart(7)} ms ${(ms / sum * 100).toFixed(1).padStart(5)} %  ${k}`).join('\n')
  const idle = [...self.entries()].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0)
  return [
    `${file}: ${sum.toFixed(0)} ms sampled, ${(idle / sum * 100).toFixed(1)} % idle`,
    'self time by function:', table(self, top),
    'self time by file:', table(byFile, top),
    'total time (inclusive) by function:', table(total, top)
  ].join('\n')
}

const target = process.argv[2]
if (target === undefined) {
  process.stderr.write('usage: tsx bench/profile.ts <file.cpuprofile | dir> [top]\n')
  process.exit(1)
}
const top = Number(process.argv[3] ?? 25)
for (const file of files(target)) process.stdout.write(summarize(file, top) + '\n\n')
