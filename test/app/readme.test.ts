import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { README_PATH, withSettingsTable } from '../../scripts/readme-settings.js'
import { SettingsSchema } from '../../src/settings.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

t.test('README starts with the two newcomer commands, and CI runs exactly its test command', async (t) => {
  const readme = await readFile(README_PATH, 'utf8')
  const commands = readme.split('\n').slice(0, 8).filter((line) => /^npm /.test(line)).map((line) => line.split('#')[0]!.trim())
  t.same(commands, ['npm ci && npm start', 'npm test'], 'a fresh clone installs, then starts')
  const ci = (await readFile(`${ROOT}.ci/run`, 'utf8')).split('\n').map((l) => l.trim())
  const install = ci.findIndex((l) => /^npm ci( |$)/.test(l))
  t.ok(install >= 0, '.ci/run installs with npm ci')
  t.ok(ci.includes('npm test'), '.ci/run runs the README test command')
  t.ok(install < ci.indexOf('npm test'))
  const onNode24 = ci.findIndex((l) => /^PATH="\$node24_bin:\$PATH" npm test$/.test(l))
  t.ok(onNode24 > ci.indexOf('npm test'), 'and the same command again with Node 24 first on PATH')
})

t.test('the README settings table is generated from SettingsSchema and current', async (t) => {
  const readme = await readFile(README_PATH, 'utf8')
  t.ok(readme === withSettingsTable(readme), 'README settings table is stale: run `npx tsx scripts/readme-settings.ts`')
  for (const name of Object.keys(SettingsSchema.properties)) t.match(readme, `| \`${name}\` |`, name)
})

t.test('every route in openapi.json has a curl example in the README', async (t) => {
  const readme = await readFile(README_PATH, 'utf8')
  // Join continued shell lines so each curl command is one line.
  const curls = readme.replaceAll('\\\n', ' ').split('\n').filter((line) => line.trimStart().startsWith('curl '))
  const doc = JSON.parse(await readFile(`${ROOT}openapi/openapi.json`, 'utf8')) as { paths: Record<string, Record<string, unknown>> }
  for (const [path, item] of Object.entries(doc.paths)) {
    const url = new RegExp(`http://127\\.0\\.0\\.1:8000${path.replaceAll(/\{[^}]+\}/g, '[^/\\s\'"?]+')}(?=['"\\s?]|$)`)
    for (const method of Object.keys(item)) {
      const found = curls.some((line) => url.test(line) && (method === 'get' ? !/-X /.test(line) : line.includes(`-X ${method.toUpperCase()}`)))
      t.ok(found, `${method.toUpperCase()} ${path}`)
    }
  }
})
