/**
 * `npm run bench [-- [--quick] [--rounds N] [--profile DIR] [scenario ...]]`
 *
 * Runs the selected scenarios (default: all) one after another, prints a table, and writes the raw
 * figures to bench/results/latest.json (a complete default run: it also replaces the results block
 * of bench/README.md), latest-quick.json (--quick) or latest-partial.json (anything else). Scenarios: links, pages, fanout, memory, metadata, first-row, manifest, github, many.
 * Every helper process is stopped at the end; a watchdog ends a run that hangs.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { BenchContext } from './lib/context.js'
import { renderMarkdown, renderTable, type ScenarioReport } from './lib/report.js'
import { fanOutScenario } from './scenarios/fanout.js'
import { firstRowScenario } from './scenarios/first-row.js'
import { githubScenario } from './scenarios/github.js'
import { linkListScenario } from './scenarios/link-list.js'
import { manifestScenario } from './scenarios/manifest.js'
import { manySyncsScenario } from './scenarios/many-syncs.js'
import { memoryScenario } from './scenarios/memory.js'
import { metadataScenario } from './scenarios/metadata.js'
import { pageNumberScenario } from './scenarios/page-number.js'

const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<ScenarioReport>> = {
  links: linkListScenario,
  pages: pageNumberScenario,
  fanout: fanOutScenario,
  memory: memoryScenario,
  metadata: metadataScenario,
  'first-row': firstRowScenario,
  manifest: manifestScenario,
  github: githubScenario,
  many: manySyncsScenario
}

const WATCHDOG_MS = 20 * 60_000

function parseArgs (argv: string[]): { quick: boolean, rounds: number | undefined, profileDir: string | undefined, names: string[] } {
  let quick = false
  let rounds: number | undefined
  let profileDir: string | undefined
  const names: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--quick') quick = true
    else if (arg === '--rounds') rounds = Number(argv[++i])
    else if (arg === '--profile') profileDir = argv[++i]
    else if (arg in SCENARIOS) names.push(arg)
    else throw new Error(`unknown argument "${arg}"; scenarios: ${Object.keys(SCENARIOS).join(', ')}; flags: --quick, --rounds N, --profile DIR`)
  }
  if (rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 1)) throw new Error('--rounds needs a positive integer')
  return { quick, rounds, profileDir, names: names.length > 0 ? names : Object.keys(SCENARIOS) }
}

function machine (): Record<string, unknown> {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`
  }
}

async function main (): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: watchdog: still running after ${WATCHDOG_MS / 60_000} min, exiting\n`)
    process.exit(2)
  }, WATCHDOG_MS)
  watchdog.unref()
  const ctx = new BenchContext({ quick: args.quick, rounds: args.rounds ?? (args.quick ? 3 : 5), ...(args.profileDir === undefined ? {} : { profileDir: args.profileDir }) })
  const reports: ScenarioReport[] = []
  const started = Date.now()
  const info = machine()
  process.stdout.write(`bench: ${args.names.join(', ')} (${args.quick ? 'quick' : 'full'}, ${ctx.rounds} rounds) on ${info.cpus} CPUs, ${info.memoryGiB} GiB, node ${info.node}\n`)
  try {
    for (const name of args.names) {
      const t0 = Date.now()
      process.stdout.write(`bench: ${name} ...`)
      try {
        reports.push(await SCENARIOS[name]!(ctx))
      } catch (error) {
        reports.push({ id: name, title: 'FAILED', lines: [], notes: [error instanceof Error ? (error.stack ?? error.message) : String(error)], data: {} })
      }
      process.stdout.write(` ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)
    }
  } finally {
    await ctx.close()
  }
  const seconds = (Date.now() - started) / 1000
  process.stdout.write(`\n${renderTable(reports)}\n\nTotal ${seconds.toFixed(0)} s.\n`)
  const dir = new URL('./results/', import.meta.url)
  mkdirSync(dir, { recursive: true })
  const complete = !args.quick && args.rounds === undefined && args.profileDir === undefined && args.names.length === Object.keys(SCENARIOS).length
  // Only a complete default run is the record; quick and partial runs go to files git ignores.
  const name = complete ? 'latest.json' : args.quick ? 'latest-quick.json' : 'latest-partial.json'
  const file = new URL(name, dir)
  writeFileSync(file, JSON.stringify({
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
    machine: info,
    seconds,
    markdown: renderMarkdown(reports),
    reports
  }, null, 2) + '\n')
  process.stdout.write(`Results written to bench/results/${name}\n`)
  if (complete) {
    updateReadme(reports, info, seconds)
    process.stdout.write('bench/README.md results updated\n')
  }
}

const START = '<!-- results:start -->'
const END = '<!-- results:end -->'

function updateReadme (reports: ScenarioReport[], info: Record<string, unknown>, seconds: number): void {
  const file = new URL('./README.md', import.meta.url)
  const text = readFileSync(file, 'utf8')
  const from = text.indexOf(START)
  const to = text.indexOf(END)
  if (from === -1 || to < from) return
  const notes = reports.flatMap((r) => r.notes.map((n) => `- [${r.id}] ${n.split('\n')[0]}`))
  const block = [
    START,
    `Run \`npm run bench\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${seconds.toFixed(0)} s: ` +
      `${String(info.cpus)} × ${String(info.cpuModel)}, ${String(info.memoryGiB)} GiB, node ${String(info.node)}, ${String(info.platform)}.`,
    '',
    renderMarkdown(reports),
    '',
    ...notes,
    END
  ].join('\n')
  writeFileSync(file, text.slice(0, from) + block + text.slice(to + END.length))
}

await main()
// Whatever a library left open (keep-alive sockets, timers), the bench ends by itself.
setTimeout(() => process.exit(0), 2_000).unref()
