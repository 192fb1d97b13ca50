/** `npm run definition-schema`: write openapi/source-definition.schema.json (a test fails when it is stale). */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { definitionJsonSchemaText } from '../src/sources/definition-schema.js'

export const DEFINITION_SCHEMA_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'openapi', 'source-definition.schema.json')

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await mkdir(dirname(DEFINITION_SCHEMA_FILE), { recursive: true })
  await writeFile(DEFINITION_SCHEMA_FILE, definitionJsonSchemaText())
  process.stdout.write(`wrote ${DEFINITION_SCHEMA_FILE}\n`)
}
