/**
 * Process entry: read settings, refuse an open service on a reachable address, buildApp(), listen,
 * and shut down gracefully on SIGTERM/SIGINT: /ready turns 503, in-flight sync streams are told to end
 * (lifecycle signal) and get SHUTDOWN_GRACE_MS to do so, then the server closes.
 */
import { pathToFileURL } from 'node:url'
import { buildApp, type App, type BuildAppOptions } from './app.js'
import { ManifestsLoadError } from './manifests/folder.js'
import { exposureProblem, loadSettings, SettingsError, type Settings } from './settings.js'

export class ExposureError extends Error {
  override readonly name = 'ExposureError'
}

export interface StartOptions extends Omit<BuildAppOptions, 'settings'> {
  settings: Settings
}

/** Build and listen; throws ExposureError before binding anything when the address would be open. */
export async function startServer (options: StartOptions): Promise<App> {
  const problem = exposureProblem(options.settings)
  if (problem !== null) throw new ExposureError(problem)
  const app = await buildApp(options)
  try {
    await app.listen({ host: options.settings.HOST, port: options.settings.PORT })
  } catch (error) {
    await app.close()
    throw error
  }
  return app
}

/**
 * Begin shutdown, give in-flight requests `graceMs` to end, then close. Connections still open after
 * the grace period are cut. Resolves when the server is closed.
 */
export async function shutdown (app: App, graceMs: number): Promise<void> {
  app.lifecycle.beginShutdown()
  const closing = app.close()
  let timer: NodeJS.Timeout | undefined
  const graceOver = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), graceMs) })
  const outcome = await Promise.race([closing.then(() => 'closed' as const), graceOver])
  clearTimeout(timer)
  if (outcome === 'timeout') {
    app.log.warn({ graceMs }, 'grace period over: closing remaining connections')
    app.server.closeAllConnections()
    await closing
  }
}

async function main (): Promise<void> {
  let settings: Settings
  try {
    settings = loadSettings()
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error
    process.stderr.write(`${error.message}\n`)
    process.exit(2)
  }
  let app: App
  try {
    app = await startServer({ settings })
  } catch (error) {
    if (error instanceof ExposureError || error instanceof SettingsError || error instanceof ManifestsLoadError) {
      process.stderr.write(`${error.message}\n`)
      process.exit(2)
    }
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      process.stderr.write(`Cannot listen on ${settings.HOST}:${settings.PORT} (${code}). Set HOST/PORT to a free address.\n`)
      process.exit(1)
    }
    throw error
  }
  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return
    stopping = true
    app.log.info({ signal, graceMs: settings.SHUTDOWN_GRACE_MS }, 'shutting down')
    shutdown(app, settings.SHUTDOWN_GRACE_MS).then(
      () => { process.exit(0) },
      (error: unknown) => { app.log.error({ err: error }, 'shutdown failed'); process.exit(1) }
    )
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main()
}
