/** What a surface shows and names: the paste line, titles, session names. Pure. */
import path from 'node:path'

import {shellJoin, shellQuote} from '../shell.js'
import {inertLine, truncate} from '../terminal.js'
import type {SessionSpec} from './session.js'

/** The line an operator can paste to start the same session by hand, reading the prompt from `promptFile` on stdin. Pure. */
export function printLine(spec: Pick<SessionSpec, 'cwd' | 'claudeBin' | 'args'> & {env?: NodeJS.ProcessEnv}, promptFile?: string): string {
  // The worker's index and port, as a dispatched worker has them (the prompt names them too).
  const slot = ['DISPATCH_WORKER_INDEX', 'DISPATCH_PORT'].filter((k) => /^\d+$/.test(spec.env?.[k] ?? '')).map((k) => `${k}=${spec.env![k]} `)
  const line = `cd ${shellQuote(spec.cwd)} && ${slot.join('')}${shellJoin([spec.claudeBin, ...spec.args])}`
  return promptFile ? `${line} < ${shellQuote(promptFile)}` : line
}

/** Longest session title: a tab or pane title, not a place for the whole issue title. */
export const TITLE_MAX = 80

/**
 * The title a terminal shows for a session (tmux pane, Warp tab, `{title}`):
 * `ref: issue title` on one line, runs of whitespace (newlines included) as one
 * space, trimmed, controls made visible, at most TITLE_MAX characters. Pure.
 */
export function sessionTitle(ref: string, title: string): string {
  const text = title.replace(/\s+/g, ' ').trim()
  return truncate(inertLine(text ? `${ref}: ${text}` : ref), TITLE_MAX).replace(/ …$/, '…')
}

/** tmux session names may not contain `.` or `:`. */
export function tmuxSessionName(ref: string): string {
  return `dispatch-${ref.replace('#', '-').replace('/', '-')}`.replace(/[.:\s]/g, '_')
}

export function warpConfigDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, home: string): string {
  if (platform === 'darwin') return path.join(home, '.warp', 'launch_configurations')
  const data = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : path.join(home, '.local', 'share')
  return path.join(data, 'warp-terminal', 'launch_configurations')
}
