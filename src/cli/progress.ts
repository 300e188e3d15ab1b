import {ux} from '@oclif/core'

import {silentProgress, type Progress} from '../lib/progress.js'

/**
 * oclif's spinner on stderr, for a person at a terminal. Off a TTY oclif
 * would print each step as a plain line, and --json promises nothing but the
 * JSON: both get no progress at all.
 */
export function terminalProgress(stderrIsTTY: boolean, json: boolean): Progress {
  if (!stderrIsTTY || json) return silentProgress
  return {
    start: (label) => ux.action.start(label),
    status: (text) => {
      ux.action.status = text
    },
    stop: () => ux.action.running && ux.action.stop(),
  }
}
