/**
 * `npm start`'s prestart (scripts/build-if-stale.sh), in a throwaway project whose `build` script only
 * records that it ran: it builds when there is no build, skips when nothing changed, rebuilds when a
 * source file is newer than the last build, and does not count a failed build as one.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const SCRIPT = fileURLToPath(new URL('../../scripts/build-if-stale.sh', import.meta.url))

function project (): string {
  const root = mkdtempSync(join(tmpdir(), 'prestart-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  mkdirSync(join(root, 'scripts'))
  mkdirSync(join(root, 'src'))
  cpSync(SCRIPT, join(root, 'scripts/build-if-stale.sh'))
  writeFileSync(join(root, 'src/server.ts'), 'export {}\n')
  writeFileSync(join(root, 'tsconfig.json'), '{}\n')
  writeFileSync(join(root, 'package-lock.json'), '{}\n')
  // The stand-in build fails while src/broken exists, like tsc on a type error.
  writeFileSync(join(root, 'package.json'), JSON.stringify({
    name: 'prestart-fixture',
    private: true,
    scripts: { build: 'echo built >> builds.log && mkdir -p dist && touch dist/server.js && test ! -e src/broken' }
  }))
  return root
}

const builds = (root: string): number => existsSync(join(root, 'builds.log')) ? readFileSync(join(root, 'builds.log'), 'utf8').split('\n').filter(Boolean).length : 0

async function prestart (root: string): Promise<boolean> {
  try {
    await run(join(root, 'scripts/build-if-stale.sh'), [], { cwd: root })
    return true
  } catch {
    return false
  }
}

/** Edit `path` after the last build: the build is dated 10 s back (file systems differ in mtime resolution), the file now. */
function editAfterBuild (root: string, path: string): void {
  const past = new Date(Date.now() - 10_000)
  utimesSync(join(root, 'dist/.build-stamp'), past, past)
  const now = new Date()
  utimesSync(path, now, now)
}

t.test('builds when missing, skips when current, rebuilds after a source change', async (t) => {
  const root = project()
  t.ok(await prestart(root))
  t.equal(builds(root), 1, 'a fresh clone builds')
  t.ok(await prestart(root))
  t.equal(builds(root), 1, 'nothing changed: no build')
  editAfterBuild(root, join(root, 'src/server.ts'))
  t.ok(await prestart(root))
  t.equal(builds(root), 2, 'a newer source file rebuilds (e.g. after git pull)')
  t.ok(await prestart(root))
  t.equal(builds(root), 2, 'and then it is current again')
  editAfterBuild(root, join(root, 'package-lock.json'))
  t.ok(await prestart(root))
  t.equal(builds(root), 3, 'new dependencies rebuild too')
})

t.test('a failed build is not taken for a current one', async (t) => {
  const root = project()
  t.ok(await prestart(root))
  writeFileSync(join(root, 'src/broken'), '')
  editAfterBuild(root, join(root, 'src/broken'))
  t.notOk(await prestart(root), 'the failing build fails npm start')
  t.notOk(await prestart(root), 'and is tried again on the next start, not skipped')
  t.equal(builds(root), 3)
})
