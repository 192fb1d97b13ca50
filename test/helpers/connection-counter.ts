/**
 * A loopback HTTP listener that must stay untouched: it counts TCP connections (not only requests) and
 * keeps the headers of any request that arrives, so a test can prove no byte and no credential reached it.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Bystander {
  /** http://127.0.0.1:<port> */
  url: string
  port: number
  connections: () => number
  authorizations: () => string[]
  close: () => Promise<void>
}

export async function startBystander (): Promise<Bystander> {
  let connections = 0
  const authorizations: string[] = []
  const server = createServer((request, response) => {
    if (request.headers.authorization !== undefined) authorizations.push(request.headers.authorization)
    response.writeHead(200, { 'content-type': 'application/json' }).end('[{"id":"from the bystander"}]')
  })
  server.on('connection', () => { connections++ })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connections: () => connections,
    authorizations: () => [...authorizations],
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }
}
