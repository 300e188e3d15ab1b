import {createRequire} from 'node:module'

import {silentProgress, type Progress} from '../lib/progress.js'

const require = createRequire(import.meta.url)

/**
 * oclif's spinner on stderr, for a person at a terminal. Off a TTY oclif
 * would print each step as a plain line, and --json promises nothing but the
 * JSON: both get no progress at all.
 *
 * NOTE: oclif's ux is loaded here, only at a terminal: the start-up fast path
 * (src/fast.ts) shares this code and must not pay for it when piped.
 */
export function terminalProgress(stderrIsTTY: boolean, json: boolean): Progress {
  if (!stderrIsTTY || json) return silentProgress
  const {ux} = require('@oclif/core/ux') as typeof import('@oclif/core/ux')
  return {
    start: (label) => ux.action.start(label),
    status: (text) => {
      ux.action.status = text
    },
    stop: () => ux.action.running && ux.action.stop(),
  }
}
