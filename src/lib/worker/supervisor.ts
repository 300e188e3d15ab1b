/**
 * The supervisor: a small detached node process that owns one claude worker.
 * dispatch starts it (own session, so it survives the terminal closing),
 * sends it the spec over IPC, and may disconnect at any time. The work itself
 * (record, claude, end of the run) is in supervise.ts, which a Slurm job runs too.
 */
import {Registry} from '../registry/index.js'
import type {SupervisorMessage} from './protocol.js'
import {supervise} from './supervise.js'

function send(message: SupervisorMessage): void {
  if (process.connected && process.send) {
    try {
      process.send(message)
    } catch {
      // dispatch went away; the record is the source of truth.
    }
  }
}

// NOTE: the supervisor has no terminal; ignore hang-ups so nothing upstream can take it down.
process.on('SIGHUP', () => {})
let started = false
process.once('message', (msg: SupervisorMessage) => {
  if (msg?.type !== 'start') process.exit(1)
  started = true
  void supervise(msg.spec, {send, registry: new Registry({stateDir: msg.spec.stateDir}), env: process.env, onAbort: (abort) => process.on('message', (m: SupervisorMessage) => m?.type === 'abort' && abort(m.reason))})
})
// NOTE: if dispatch dies before sending the spec, nobody ever will: don't linger.
process.once('disconnect', () => {
  if (!started) process.exit(1)
})
