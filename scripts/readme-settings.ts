/**
 * The README's settings table, rendered from SettingsSchema (the one declaration of the settings).
 * `npx tsx scripts/readme-settings.ts` rewrites the table in README.md; a test fails when it is stale.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SettingsSchema } from '../src/settings.js'

export const README_PATH = resolve(fileURLToPath(new URL('..', import.meta.url)), 'README.md')
export const TABLE_START = '<!-- settings-table:start (generated from SettingsSchema by scripts/readme-settings.ts) -->'
export const TABLE_END = '<!-- settings-table:end -->'

function cell (text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ')
}

export function settingsTable (): string {
  const rows = Object.entries(SettingsSchema.properties).map(([name, schema]) => {
    const { default: fallback, description, enum: allowed } = schema as unknown as { default: unknown, description?: string, enum?: unknown[] }
    const shown = (Array.isArray(fallback) && fallback.length === 0) || fallback === ''
      ? '(none)'
      : '`' + (typeof fallback === 'string' ? fallback : JSON.stringify(fallback)) + '`'
    const meaning = (description ?? '') + (allowed === undefined ? '' : ` One of: ${allowed.join(', ')}.`)
    return `| \`${name}\` | ${cell(shown)} | ${cell(meaning)} |`
  })
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n')
}

/** README text with the settings table block replaced by the current one. */
export function withSettingsTable (readme: string): string {
  const start = readme.indexOf(TABLE_START)
  const end = readme.indexOf(TABLE_END)
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${TABLE_START} … ${TABLE_END} block`)
  return readme.slice(0, start + TABLE_START.length) + '\n' + settingsTable() + '\n' + readme.slice(end)
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const readme = await readFile(README_PATH, 'utf8')
  await writeFile(README_PATH, withSettingsTable(readme))
  process.stdout.write(`updated the settings table in ${README_PATH}\n`)
}
