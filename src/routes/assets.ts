/** Static files sources declare in `assets` (their icons), served at the paths their iconPath names. */
import type { FastifyPluginAsync } from 'fastify'

export const assetRoutes: FastifyPluginAsync = async (app) => {
  const assets = app.registry.assets()
  for (const [path, asset] of assets) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) => {
      return reply.type(asset.contentType).header('cache-control', 'public, max-age=86400').send(asset.body)
    })
  }
}
