/** `doctor`: one line per check, its fix when it is not ok, then the verdict. Pure. */
import type {DoctorReport} from '../doctor.js'
import {inertLine, paint} from '../terminal.js'

import type {Rendered, TerminalFacts} from './facts.js'

export function renderDoctor(report: DoctorReport, f: Pick<TerminalFacts, 'color'>): Rendered {
  const colour = Boolean(f.color)
  const mark = {ok: paint('✓', 'green', colour), warn: paint('!', 'yellow', colour), fail: paint('✗', 'red', colour)}
  let stdout = ''
  for (const c of report.checks) {
    stdout += `${mark[c.status]} ${c.name}: ${inertLine(c.detail)}\n`
    if (c.fix && c.status !== 'ok') stdout += `    fix: ${inertLine(c.fix)}\n`
  }
  stdout += report.ok ? '\nReady to dispatch.\n' : '\nSome checks failed; fix them before dispatching.\n'
  return {stdout, stderr: ''}
}
