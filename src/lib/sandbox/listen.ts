/** The one way the sandbox's services open their unix sockets (proxy.ts, relay.ts). */
import {chmod} from 'node:fs/promises'
import type {Server} from 'node:net'

/**
 * Listen on `socketPath` and make the socket 0600: only the operator (and the
 * sandbox it is bound into) may connect. Rejects with the listen error.
 */
export async function listenPrivately(server: Server, socketPath: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketPath, () => {
      server.off('error', reject)
      resolve()
    })
  })
  await chmod(socketPath, 0o600)
}
