/** `npm run openapi`: write openapi/openapi.json from the routes (a test fails when it is stale). */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildApp } from '../src/app.js'

/** The document of an app built with default settings and the registered sources, as committed text. */
export async function renderOpenApiDocument (): Promise<string> {
  const app = await buildApp({ settings: { LOG_LEVEL: 'silent' } })
  try {
    await app.ready()
    return JSON.stringify(app.swagger(), null, 2) + '\n'
  } finally {
    await app.close()
  }
}

export const OPENAPI_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'openapi', 'openapi.json')

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = await renderOpenApiDocument()
  await mkdir(dirname(OPENAPI_PATH), { recursive: true })
  await writeFile(OPENAPI_PATH, text)
  process.stdout.write(`wrote ${OPENAPI_PATH}\n`)
}
