/** Request/response pieces the source routes share. */
import Type from 'typebox'

export const SourceTypeParamsSchema = Type.Object({
  source_type: Type.String({ description: 'Source name, case-insensitive (e.g. Demo, Github).', examples: ['Demo'] })
})

export const ConfigSchema = Type.Object({}, {
  additionalProperties: true,
  description: 'Form values keyed by field name, as PostHog job_inputs: a select with sub-fields as ' +
    '{selection, ...sub-fields}, a switch group as {enabled, ...sub-fields}, or the flat prefixed form.'
})

export const ConfigBodySchema = Type.Object({ config: ConfigSchema })
