/**
 * The handoff from dispatch to a session runner started in another terminal:
 * a 0600 spec file without secret values, and the secrets served once on a
 * unix socket beside it.
 */
import {rmSync} from 'node:fs'
import {lstat, readdir, rm, writeFile} from 'node:fs/promises'
import {createServer, type Server} from 'node:net'
import path from 'node:path'

import {FailureError, errorMessage} from '../errors.js'
import {PRINT_TTL_MS} from './print-record.js'
import {HANDOFF_TTL_MS, splitSecrets, type SessionHandoff, type SessionSpec} from './session.js'

/**
 * Write the handoff file (0600, exclusive, no secret values) and serve the
 * secrets once on a unix socket beside it while dispatch waits for the
 * session. NOTE: only this user can reach the socket (the directory is 0700).
 */
export async function startHandoff(spec: SessionSpec, specFile: string, launchId: string, extraSecretNames: readonly string[]) {
  const {plain, secrets} = splitSecrets(spec.env, extraSecretNames)
  const socketPath = specFile.replace(/\.json$/, '.sock')
  let server: Server | undefined
  // Unix socket paths are short (108 bytes); past that the runner takes secrets from its own environment.
  if (Object.keys(secrets).length > 0 && Buffer.byteLength(socketPath) < 100) {
    server = createServer((socket) => {
      socket.end(JSON.stringify(secrets))
      server?.close()
    })
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject)
      server!.listen(socketPath, () => resolve())
    }).catch(() => {
      server = undefined
    })
  }
  const handoff: SessionHandoff = {
    ...spec,
    env: plain,
    record: {...spec.record, launch_id: launchId},
    secret_names: Object.keys(secrets),
    secrets_socket: server ? socketPath : undefined,
    expires_at: Date.now() + HANDOFF_TTL_MS,
  }
  const closeSocket = () => {
    server?.close()
    server = undefined
    rmSync(socketPath, {force: true})
  }
  try {
    await writeFile(specFile, JSON.stringify(handoff), {mode: 0o600, flag: 'wx'})
  } catch (error) {
    closeSocket()
    await rm(specFile, {force: true})
    throw new FailureError(`Cannot write the session handoff ${specFile}: ${errorMessage(error)}.`, 'Check free space and permissions of the state directory.')
  }
  return {closeSocket, discard: async () => {
    closeSocket()
    await rm(specFile, {force: true})
  }}
}

/** Handoff files nobody picked up are removed once they expire. */
export async function sweepExpiredHandoffs(dir: string): Promise<void> {
  const now = Date.now()
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const file = path.join(dir, name)
    const st = await lstat(file).catch(() => undefined)
    // A print line's handoff lives as long as the line may be pasted.
    const ttl = name.startsWith('print-') ? PRINT_TTL_MS : HANDOFF_TTL_MS
    if (st && now - st.mtimeMs > ttl) await rm(file, {force: true}).catch(() => {})
  }
}
