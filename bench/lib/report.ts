/**
 * What a scenario hands back, and the table `npm run bench` prints. Each line is one figure with,
 * where the issue sets one, the target beside it and whether it was met.
 */
export interface ReportLine {
  /** What was measured, e.g. "1a raw undici loop (0 ms)". */
  label: string
  /** The measured figure, formatted with its unit. */
  value: string
  /** Comparison with the baseline of the scenario, e.g. "0.93× raw". */
  vs?: string
  target?: string
  /** undefined: no target for this line. */
  met?: boolean
}

export interface ScenarioReport {
  id: string
  title: string
  lines: ReportLine[]
  notes: string[]
  /** Raw figures for bench/results/latest.json. */
  data: Record<string, unknown>
}

function pad (text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length)
}

export function renderTable (reports: ScenarioReport[]): string {
  const header = ['measurement', 'value', 'vs', 'target', 'ok']
  const rows: string[][] = []
  for (const report of reports) {
    rows.push([`${report.id}. ${report.title}`, '', '', '', ''])
    for (const line of report.lines) {
      rows.push([`  ${line.label}`, line.value, line.vs ?? '', line.target ?? '', line.met === undefined ? '' : line.met ? 'yes' : 'MISSED'])
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const out: string[] = []
  out.push(header.map((h, i) => pad(h, widths[i]!)).join(' | '))
  out.push(widths.map((w) => '-'.repeat(w)).join('-|-'))
  for (const row of rows) out.push(row.map((c, i) => pad(c, widths[i]!)).join(' | ').trimEnd())
  const notes = reports.flatMap((r) => r.notes.map((n) => `  [${r.id}] ${n}`))
  if (notes.length > 0) out.push('', 'Notes:', ...notes)
  return out.join('\n')
}

/** The same table as Markdown, for bench/README.md. */
export function renderMarkdown (reports: ScenarioReport[]): string {
  const out = ['| measurement | value | vs | target | ok |', '|---|---|---|---|---|']
  for (const report of reports) {
    out.push(`| **${report.id}. ${report.title}** | | | | |`)
    for (const line of report.lines) {
      out.push(`| ${line.label} | ${line.value} | ${line.vs ?? ''} | ${line.target ?? ''} | ${line.met === undefined ? '' : line.met ? 'yes' : '**missed**'} |`)
    }
  }
  return out.join('\n')
}
