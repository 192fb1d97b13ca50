/** The engine's public API: sources import from here only. */
export * from './declarations.js'
export type * from './types.js'
export { createEngineServices, DEFAULT_ENGINE_SETTINGS, type EngineServices, type EngineSettings } from './services.js'
export { createWatermarkTracker, convertWatermark, incrementalParams, type WatermarkTracker } from './incremental.js'
export { fanOutPages, decorateChildRow, parentKeyName, type FanOutInput, type FanOutState, type ParentRef } from './fanout.js'
export { createPaginator, parseLinkHeader, type Paginator, type PageView } from './paginators/index.js'
export { getPath, selectRows } from './select.js'
export { rawRowsOf, RawRows } from './raw-rows.js'
export { formatPath } from './request-builder.js'
export { classifyAddress, type AddressClass } from './ssrf.js'
export { redactUrl } from './redact.js'
export { DEFAULT_RETRY, type RetrySettings } from './retry.js'
export {
  compileTemplate, compiledTemplate, InterpolationError, MACROS, parseDuration, strftime, text as interpolatedText,
  type CompiledTemplate, type Node as ExpressionNode
} from './interpolation/index.js'
export { fairTurn, SLICE_MS } from './fair-share.js'
