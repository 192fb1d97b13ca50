/** The definition format (definition.ts) as a standalone JSON Schema document, rendered once. */
import { SourceDefinitionSchema } from './definition.js'

/** Where the service serves it (and what a definition's `$schema` may name). */
export const DEFINITION_SCHEMA_PATH = '/schemas/source-definition.json'

let rendered: string | undefined

export function definitionJsonSchemaText (): string {
  rendered ??= `${JSON.stringify({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: DEFINITION_SCHEMA_PATH,
    title: 'SourceDefinition',
    description: 'A REST source as data: form, client (base URL, auth by reference to form fields), endpoint defaults, endpoints, static parent lists, credential check and error rules.',
    ...JSON.parse(JSON.stringify(SourceDefinitionSchema)) as Record<string, unknown>
  }, null, 2)}\n`
  return rendered
}
