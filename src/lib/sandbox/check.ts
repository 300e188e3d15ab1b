import {spawnSync} from 'node:child_process'

import {FailureError} from '../errors.js'
import {which} from '../which.js'

/** What bubblewrap on this machine can do: `ok` with its path and version, or why not and the fix. */
export type BwrapProbe = {ok: true; bin: string; version: string} | {ok: false; problem: string; fix: string}

const INSTALL = 'Install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap; Arch: sudo pacman -S bubblewrap)'
const USERNS =
  'Allow unprivileged user namespaces: sudo sysctl -w kernel.unprivileged_userns_clone=1 (Debian), or on Ubuntu 24.04+ sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (or an AppArmor profile for bwrap); in a container, run it with --security-opt seccomp=unconfined or use --privileged'
const OPT_OUT = 'or dispatch unsandboxed on purpose with --no-sandbox / sandbox: {kind: none}'

/**
 * Try bubblewrap the way a worker uses it: every namespace, the host
 * read-only, a command run inside. Costs one short process (a few ms).
 */
export function probeBwrap(env: NodeJS.ProcessEnv, opts: {version?: boolean} = {version: true}): BwrapProbe {
  const bin = which('bwrap', env)
  if (!bin) return {ok: false, problem: 'bubblewrap (bwrap) is not on PATH', fix: `${INSTALL}, ${OPT_OUT}.`}
  const run = spawnSync(bin, ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--', 'true'], {env: {PATH: env.PATH}, encoding: 'utf8', timeout: 15_000})
  if (run.error || run.status !== 0) {
    const why = (run.stderr || run.error?.message || `exit ${run.status}`).trim().split('\n')[0]
    return {ok: false, problem: `${bin} cannot create a sandbox here (${why})`, fix: `${USERNS}; ${OPT_OUT}.`}
  }
  if (!opts.version) return {ok: true, bin, version: 'unknown'}
  const version = spawnSync(bin, ['--version'], {env: {PATH: env.PATH}, encoding: 'utf8', timeout: 15_000}).stdout?.trim().replace(/^bubblewrap\s*/, '') || 'unknown'
  return {ok: true, bin, version}
}

let cached: {path: string | undefined; probe: BwrapProbe} | undefined

/**
 * The bwrap a sandboxed dispatch uses, or a FailureError (exit 1) with the fix.
 * NOTE: exit 1, not 3: nothing about the issue or the fleet refused the
 * dispatch; a tool this machine needs is missing or blocked, like a missing
 * claude binary, and the same command works once it is fixed. Probed once per
 * process (a fan-out dispatches many workers).
 */
export function requireBwrap(env: NodeJS.ProcessEnv): string {
  // The version is doctor's business; a dispatch only needs to know bwrap works (one process less).
  if (!cached || cached.path !== env.PATH) cached = {path: env.PATH, probe: probeBwrap(env, {version: false})}
  const probe = cached.probe
  if (probe.ok) return probe.bin
  throw new FailureError(`The sandbox cannot start: ${probe.problem}; nothing was started.`, probe.fix.charAt(0).toUpperCase() + probe.fix.slice(1))
}

/** doctor's view of the sandbox: can bubblewrap run here, and does the config use it. */
export function sandboxCheck(config: {sandbox: {kind?: string}; repoSandbox: Record<string, {kind?: string}>}, env: NodeJS.ProcessEnv): {status: 'ok' | 'warn' | 'fail'; detail: string; fix?: string} {
  const wanted = config.sandbox.kind === 'bubblewrap' || Object.values(config.repoSandbox).some((s) => s.kind === 'bubblewrap')
  const probe = probeBwrap(env)
  if (!probe.ok) {
    // Without a sandbox configured this is advice; with one, every dispatch it covers would fail.
    return {status: wanted ? 'fail' : 'warn', detail: `${probe.problem}${wanted ? '; sandboxed dispatches fail until it works' : ''}`, fix: probe.fix}
  }
  const works = `bubblewrap ${probe.version} (${probe.bin}), user namespaces work`
  if (config.sandbox.kind === undefined && !wanted) return {status: 'warn', detail: `${works}, but the config has no sandbox key: workers run unsandboxed`, fix: 'Add sandbox: {kind: bubblewrap} to the config (see docs/sandbox.md), or sandbox: {kind: none} to choose this on purpose.'}
  if (config.sandbox.kind === 'none' && !wanted) return {status: 'ok', detail: `${works}; off (sandbox.kind: none)`}
  return {status: 'ok', detail: `${works}; workers run sandboxed`}
}
