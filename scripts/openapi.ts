/** `npm run openapi`: write openapi/openapi.json from the routes (a test fails when it is stale). */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderOpenApiDocument } from '../src/openapi.js'

export const OPENAPI_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'openapi', 'openapi.json')

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = await renderOpenApiDocument()
  await mkdir(dirname(OPENAPI_PATH), { recursive: true })
  await writeFile(OPENAPI_PATH, text)
  process.stdout.write(`wrote ${OPENAPI_PATH}\n`)
}
