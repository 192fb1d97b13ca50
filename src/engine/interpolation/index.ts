/** Airbyte-style `{{ … }}` templates: a sandboxed expression subset (see template.ts, evaluate.ts). */
export { compileTemplate, compiledTemplate, MAX_TEMPLATE_LENGTH, type CompiledTemplate, type TemplatePart } from './template.js'
export { InterpolationError } from './errors.js'
export { MAX_DEPTH, type Node } from './parser.js'
export { MACROS } from './builtins.js'
export { parseDateTime, parseDuration, strftime, strptime } from './datetime.js'
export { DateTime, Duration, text, truthy } from './values.js'
export type { Context } from './evaluate.js'
