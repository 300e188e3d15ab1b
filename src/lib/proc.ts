import {execFileSync} from 'node:child_process'
import {closeSync, fstatSync, openSync, readSync, readdirSync} from 'node:fs'

interface ProcStat {
  /** One-letter state: R, S, D, Z (zombie), X (dead), … */
  state: string
  /** Field 22: start time in clock ticks since boot. */
  startTime: string
  /** Field 5: process group id. */
  pgrp: number
  /** Owner of the process (the owner of its /proc entry). */
  uid: number
}

// A stat line is a few hundred bytes (the command name in it is at most 15).
const statBuffer = Buffer.alloc(4096)

/** Parse `/proc/<pid>/stat`; undefined when there is no such process. Linux only. */
function readProcStat(pid: number): ProcStat | undefined {
  let stat: string
  let uid: number
  let fd: number | undefined
  try {
    // NOTE: /proc files report size 0, so readFileSync allocates 64 KiB per call;
    // a registry check reads thousands of them. One line fits in this buffer.
    fd = openSync(`/proc/${pid}/stat`, 'r')
    uid = fstatSync(fd).uid
    stat = statBuffer.toString('latin1', 0, readSync(fd, statBuffer, 0, statBuffer.length, 0))
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return {state: fields[0], startTime: fields[19], pgrp: Number(fields[2]), uid}
}

/** As readProcStat, but a zombie (exited, not yet reaped) counts as gone. */
function liveProcStat(pid: number): ProcStat | undefined {
  const stat = readProcStat(pid)
  return stat && stat.state !== 'Z' && stat.state !== 'X' ? stat : undefined
}

const isPid = (pid: number) => Number.isInteger(pid) && pid > 0

/**
 * A process's start time as an opaque string, used to tell a live worker from
 * an unrelated process that got the same pid later.
 * NOTE: pids are reused; a bare `kill(pid, 0)` is not proof of life.
 * On Linux this is field 22 of /proc/<pid>/stat (clock ticks since boot);
 * elsewhere `ps -o lstart=`.
 */
export function processStartTime(pid: number): string | undefined {
  if (!isPid(pid)) return undefined
  if (process.platform === 'linux') return readProcStat(pid)?.startTime
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
    return out || undefined
  } catch {
    return undefined
  }
}

/** Is the pid alive at all (zombies count as gone on Linux)? */
export function pidExists(pid: number): boolean {
  if (!isPid(pid)) return false
  if (process.platform === 'linux') return liveProcStat(pid) !== undefined
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Alive, ours, and the same process we recorded. One /proc read on Linux.
 * NOTE: a record without a start time proves nothing (pid 1 is always alive),
 * and a process of another user is never one of our workers: both are not alive here.
 */
export function isSameProcessAlive(pid: number, startTime: string | null | undefined): boolean {
  if (!isPid(pid) || !startTime) return false
  if (process.platform === 'linux') {
    const stat = liveProcStat(pid)
    const uid = typeof process.getuid === 'function' ? process.getuid() : undefined
    return stat !== undefined && stat.startTime === startTime && (uid === undefined || stat.uid === uid)
  }
  if (!pidExists(pid)) return false
  return processStartTime(pid) === startTime
}

/**
 * A test for "might this pid be alive?" that is cheap to ask many times: on
 * Linux one listing of /proc answers for every pid (a registry of 10,000
 * records would otherwise cost 10,000 system calls); elsewhere it asks the
 * kernel per pid. False positives are fine, callers check properly after.
 */
export function livePidFilter(): (pid: number) => boolean {
  if (process.platform === 'linux') {
    try {
      const live = new Set(readdirSync('/proc').filter((n) => n.charCodeAt(0) <= 57))
      return (pid) => live.has(String(pid))
    } catch {
      // No /proc (a container without it): fall through to asking per pid.
    }
  }
  return pidExists
}

/** The process group a live process belongs to; undefined when it is gone or unknown. */
export function processGroupOf(pid: number): number | undefined {
  if (!isPid(pid)) return undefined
  if (process.platform === 'linux') return liveProcStat(pid)?.pgrp
  try {
    const out = execFileSync('ps', ['-o', 'pgid=', '-p', String(pid)], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
    return out ? Number(out) : undefined
  } catch {
    return undefined
  }
}
