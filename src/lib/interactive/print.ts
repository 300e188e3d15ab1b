/**
 * The print surface, and every fallback: the line to paste. It runs the
 * session runner on a 0600 handoff file (the prompt and the environment
 * without secret values, which the runner takes from the pasting terminal),
 * so the pasted session gets its record as any other surface's does; until
 * then a placeholder record holds its place (print-record.ts).
 */
import {randomUUID} from 'node:crypto'
import {rm, writeFile} from 'node:fs/promises'

import {FailureError, errorMessage} from '../errors.js'
import type {Registry} from '../registry/index.js'
import {shellJoin, shellQuote} from '../shell.js'
import {ensurePrivateDirs} from '../state.js'
import {PRINT_TTL_MS, placeholderRecord, printHandoffFile, printKey} from './print-record.js'
import {splitSecrets, type SessionHandoff, type SessionSpec} from './session.js'
import type {SurfaceResult} from './surfaces.js'
import {runnerArgv} from './terminals.js'

/**
 * Write the handoff and the placeholder, and return the line to paste. Call
 * under the dispatch lock (as every surface is launched), so the checks
 * against active workers see the placeholder.
 */
export async function printResult(spec: SessionSpec, registry: Registry, secretNames: readonly string[] = [], fallbackReason?: string): Promise<SurfaceResult> {
  const launchId = randomUUID()
  const expiresAt = Date.now() + PRINT_TTL_MS
  await ensurePrivateDirs(spec.stateDir, 'sessions')
  const file = printHandoffFile(spec.stateDir, launchId)
  const {plain, secrets} = splitSecrets(spec.env, secretNames)
  const handoff: SessionHandoff = {...spec, env: plain, record: {...spec.record, launch_id: launchId}, secret_names: Object.keys(secrets), expires_at: expiresAt, print_key: printKey(launchId)}
  try {
    await writeFile(file, JSON.stringify(handoff), {mode: 0o600, flag: 'wx'})
    await registry.write(placeholderRecord(spec.record, launchId, expiresAt))
  } catch (error) {
    await rm(file, {force: true})
    throw new FailureError(`Cannot write the print session's handoff ${file}: ${errorMessage(error)}.`, 'Check free space and permissions of the state directory.')
  }
  const command = `cd ${shellQuote(spec.cwd)} && ${shellJoin(runnerArgv(file))}`
  return {surface: 'print', launched: false, command, expires_at: new Date(expiresAt).toISOString(), ...(fallbackReason ? {fallback_reason: fallbackReason} : {})}
}
