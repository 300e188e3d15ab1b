import path from 'node:path'

import {isInside} from './workspace.js'

const SLUG_MAX = 40

/**
 * Branch slug from an issue title (SPEC §4): lowercase ASCII words joined by
 * `-`, at most 40 characters, cut on a word boundary. Pure.
 */
export function slugify(title: string): string {
  // Escape sequences in a title are not words: drop CSI and OSC sequences first.
  // eslint-disable-next-line no-control-regex
  const plain = title.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, ' ').replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, ' ')
  const ascii = plain.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
  const words = ascii.match(/[a-z0-9]+/g) ?? []
  let slug = ''
  for (const word of words) {
    const next = slug ? `${slug}-${word}` : word
    if (next.length > SLUG_MAX) {
      if (!slug) slug = word.slice(0, SLUG_MAX)
      break
    }
    slug = next
  }
  return slug
}

/** `issue-<N>-<slug>`, or `issue-<N>` when the title has no ASCII words. */
export function worktreeName(number: number, title: string): string {
  const slug = slugify(title)
  return slug ? `issue-${number}-${slug}` : `issue-${number}`
}

export function branchName(number: number, title: string): string {
  return `dispatch/${worktreeName(number, title)}`
}

/** Does a branch (short name) belong to this issue, whatever the title was when it was made? */
export function isIssueBranch(branch: string, number: number): boolean {
  return branch === `dispatch/issue-${number}` || branch.startsWith(`dispatch/issue-${number}-`)
}

/** Worktree path for an issue; always inside `worktreeRoot` (names are validated, but check anyway). */
export function worktreePath(worktreeRoot: string, owner: string, repo: string, number: number, title: string): string {
  const p = path.join(worktreeRoot, owner, repo, worktreeName(number, title))
  if (!isInside(worktreeRoot, p) || path.relative(worktreeRoot, p).split(path.sep).length !== 3) {
    throw new Error(`refusing worktree path ${p} outside ${worktreeRoot}`)
  }
  return p
}

/** `YYYYMMDD-HHMMSS` in UTC, for log file names. */
export function timestampForFile(date: Date): string {
  const iso = date.toISOString()
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`
}

export function logPath(stateDir: string, owner: string, repo: string, number: number, started: Date): string {
  const p = path.join(stateDir, 'logs', owner, repo, `issue-${number}-${timestampForFile(started)}.log`)
  if (!isInside(path.join(stateDir, 'logs'), p)) throw new Error(`refusing log path ${p} outside ${stateDir}`)
  return p
}

/**
 * Is `file` a path dispatch itself gives a worker log: `stateDir/logs/<owner>/<repo>/issue-<N>-<YYYYMMDD-HHMMSS>[-<i>].log`?
 * A record is only a file someone could have written; nothing it names is
 * deleted unless it has this shape. Pure.
 */
export function isWorkerLogPath(stateDir: string, file: string): boolean {
  const logs = path.join(path.resolve(stateDir), 'logs')
  const rel = path.relative(logs, path.resolve(file))
  const parts = rel.split(path.sep)
  return (
    !rel.startsWith('..') &&
    !path.isAbsolute(rel) &&
    parts.length === 3 &&
    parts.slice(0, 2).every((p) => p !== '.' && p !== '..' && p !== '') &&
    /^issue-\d+-\d{8}-\d{6}(-\d+)?\.log$/.test(parts[2])
  )
}
