/**
 * Session runner: what tmux, Warp or a configured terminal command actually
 * starts. It reads its spec from a 0600 file in the state dir (deleting it at
 * once: it holds the prompt), runs claude in that terminal, and keeps the
 * registry record. Usage: node runner.js <spec.json>
 */
import {readFileSync, unlinkSync} from 'node:fs'

import {runSession, type SessionSpec} from './session.js'

const file = process.argv[2]
let spec: SessionSpec
try {
  spec = JSON.parse(readFileSync(file, 'utf8')) as SessionSpec
  unlinkSync(file)
} catch (error) {
  process.stderr.write(`dispatch: cannot read the session spec ${file}: ${(error as Error).message}\n`)
  process.exit(1)
}
// In a tmux pane, remember which one: `dispatch stop` closes it. (Only here: the foreground
// surface runs in the operator's own pane, which is not dispatch's to close.)
const {TMUX, TMUX_PANE} = process.env
if (TMUX && TMUX_PANE) spec.record = {...spec.record, tmux: {socket: TMUX.split(',')[0], pane: TMUX_PANE}}
runSession(spec).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`dispatch: could not start ${spec.claudeBin}: ${error.message}\n`)
    process.exit(1)
  },
)
