/**
 * Credential check: a rejected credential is a 200 result, a malformed config a 400 problem, a vendor
 * that fails or does not answer within the check's deadline a 502 UPSTREAM_UNAVAILABLE.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { UpstreamAuthError } from '../errors.js'
import { problemResponses } from '../plugins/problems.js'
import { parseConfig } from '../sources/config.js'
import { describeError } from '../sources/error-rules.js'
import { CredentialCheckSchema, type CredentialCheck } from '../sources/types.js'
import { sourceContext } from './context.js'
import { ConfigBodySchema, SourceTypeParamsSchema } from './shared.js'
import { asUnavailable, withTargetField } from './upstream-failures.js'

export const credentialRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/sources/:source_type/validate', {
    schema: {
      operationId: 'validateCredentials',
      tags: ['sources'],
      summary: 'Check a config (credentials included) against the upstream API',
      params: SourceTypeParamsSchema,
      body: ConfigBodySchema,
      response: { 200: CredentialCheckSchema, ...problemResponses(400, 404, 502) }
    }
  }, async (request, reply): Promise<CredentialCheck> => {
    const source = app.registry.get(request.params.source_type)
    const config = parseConfig(source.fields, source.prepareConfig?.(request.body.config) ?? request.body.config)
    try {
      // interactive: the engine's short retry policy and one deadline (a person waits on the form).
      return await source.validateCredentials(config, sourceContext(app, request, reply, source, { interactive: true }))
    } catch (error) {
      // The upstream refused the credential: that is an answer, not a failure of this service.
      if (error instanceof UpstreamAuthError) {
        const friendly = describeError(source.errorRules, error)
        return { valid: false, code: error.code, message: friendly?.message ?? `The ${source.name} API rejected the credentials (HTTP ${error.status}).` }
      }
      throw asUnavailable(withTargetField(error, source, config), source)
    }
  })
}
