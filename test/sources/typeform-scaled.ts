/**
 * The Typeform definition with its budget window scaled down, for tests that send many requests: the
 * same shape (2 requests per window, counted until a window after each answer) against a fake that
 * enforces 2 per window of the same length, so every such test still proves the limiter keeps the fake
 * from answering 429. The real 2-per-second budget has its own test (typeform.test.ts).
 */
import { defineRestSource } from '../../src/sources/rest-source.js'
import { TYPEFORM_DEFINITION } from '../../src/sources/typeform/source.js'
import { TYPEFORM_BUDGET } from '../../src/sources/typeform/settings.js'

/** Window of the scaled budget and of the fake's limit. */
export const SCALED_WINDOW_MS = 40

export function scaledTypeformSource (windowMs = SCALED_WINDOW_MS) {
  return defineRestSource({
    ...TYPEFORM_DEFINITION,
    client: { ...TYPEFORM_DEFINITION.client, budgets: { default: { ...TYPEFORM_BUDGET, intervalMs: windowMs } } }
  }, {}, { baseDir: new URL('../../src/sources/typeform/', import.meta.url) })
}
