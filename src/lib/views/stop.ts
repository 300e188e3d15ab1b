/** `stop`: a tab-separated line per worker on stdout, the count on stderr. Pure. */
import type {StoppedWorker} from '../stop.js'
import {inertLine} from '../terminal.js'

import type {Rendered} from './facts.js'

const VERB: Record<StoppedWorker['outcome'], string> = {stopped: 'stopped', terminated: 'terminated', killed: 'killed', cancelled: 'cancelled', survived: 'still running'}

export function renderStop(stopped: readonly StoppedWorker[]): Rendered {
  if (stopped.length === 0) return {stdout: '', stderr: 'no active workers\n'}
  return {
    stdout: stopped.map((s) => `${VERB[s.outcome]}\t${s.job_id ? `slurm:${s.job_id}` : s.pid}\t${inertLine(s.ref)}\t(${s.signal}${s.tmux_pane ? `, tmux pane ${s.tmux_pane} closed` : ''})\n`).join(''),
    stderr: `✓ Stopped ${stopped.length} worker(s)\n`,
  }
}
