/** Request/response pieces the source routes share. */
import Type from 'typebox'
import { ConfigSchema } from '../sources/types.js'

export const SourceTypeParamsSchema = Type.Object({
  source_type: Type.String({ description: 'Source name, case-insensitive (e.g. Demo, Github).', examples: ['Demo'] })
})

export const ConfigBodySchema = Type.Object({ config: ConfigSchema }, { additionalProperties: false })
