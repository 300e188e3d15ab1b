/** The print surface, and every fallback: the line to paste, with the prompt in its own 0600 file. */
import {randomUUID} from 'node:crypto'
import {writeFile} from 'node:fs/promises'
import path from 'node:path'

import {ensurePrivateDirs} from '../state.js'
import {printLine, tmuxSessionName} from './lines.js'
import type {SessionSpec} from './session.js'
import type {SurfaceResult} from './surfaces.js'

/**
 * The prompt for a session the operator starts by hand: a 0600 file under the
 * state dir, named in the printed line, since the prompt stays out of argv.
 * NOTE: nobody can delete it at start (the operator's shell opens it); it stays,
 * readable by the operator alone, until `dispatch sidequests prune` finds it as
 * old as the records it removes.
 */
async function writePromptFile(spec: Pick<SessionSpec, 'stateDir' | 'prompt' | 'record'>): Promise<string> {
  const dir = await ensurePrivateDirs(spec.stateDir, 'prompts')
  const file = path.join(dir, `${tmuxSessionName(spec.record.ref)}-${randomUUID().slice(0, 8)}.md`)
  await writeFile(file, spec.prompt, {mode: 0o600, flag: 'wx'})
  return file
}

/** Fall back to print: the line to paste, with the prompt in its own file. */
export async function printResult(spec: SessionSpec, fallbackReason?: string): Promise<SurfaceResult> {
  const command = printLine(spec, await writePromptFile(spec))
  return {surface: 'print', launched: false, command, ...(fallbackReason ? {fallback_reason: fallbackReason} : {})}
}
