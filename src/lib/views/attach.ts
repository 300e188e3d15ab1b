/** `attach`: the line said before Claude takes over the terminal. Pure. */
import type {Rendered} from './facts.js'

export function renderResuming(r: {ref: string; claude_session_id?: string | null; cwd: string}): Rendered {
  return {stdout: '', stderr: `Resuming ${r.ref} (session ${r.claude_session_id}) in ${r.cwd}\n`}
}
