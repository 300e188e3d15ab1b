/**
 * What one worker's sandbox binds, worked out in the dispatch process from
 * the config, the environment and the plan (the worktree, the checkout). The
 * process that runs claude (supervisor, Slurm job, interactive runner, the
 * dispatch itself in the foreground) gets it in the worker's spec.
 */
import {existsSync, readdirSync, readFileSync, realpathSync, statSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {claudeConfigFile} from '../claude.js'
import {homeDir, xdgDir, type Config, type SandboxChoice} from '../config/index.js'
import type {SandboxLayout} from './bwrap.js'

/** Everything the runner side needs to start a sandboxed worker. */
export interface SandboxSpec {
  kind: 'bubblewrap'
  /** The bwrap binary the dispatch probed. */
  bwrap: string
  /** The layout but for what the runner makes: the services' directory and the copy of Claude's config file. */
  layout: Omit<SandboxLayout, 'servicesDir' | 'claude'> & {claude: {configDir: string; projectDir: string; configFile: string}}
  /** Hosts the proxy lets through: the model API, the configured forges, sandbox.allowNetwork. */
  allow: string[]
  /** Where the runner makes the private directory of this worker's sockets. */
  servicesRoot: string
  /** A cascade worker: its sub-dispatches go through the relay, to a dispatch outside. */
  relay?: {cascadeDepth: number; configPath?: string}
}

/** Claude Code's directory name for a project: the path with every other character than a letter or digit as `-`. Pure. */
export function claudeProjectSlug(cwd: string): string {
  return cwd.replace(/[^A-Za-z0-9]/g, '-')
}

/** The package directory of a file inside node_modules (so a JS claude gets its whole package), else its directory. Pure. */
export function installDir(file: string): string {
  const parts = file.split('/')
  const i = parts.lastIndexOf('node_modules')
  if (i === -1) return path.dirname(file)
  return parts.slice(0, parts[i + 1]?.startsWith('@') ? i + 3 : i + 2).join('/')
}

function real(p: string): string {
  try {
    return realpathSync(p)
  } catch {
    return p
  }
}

/** dispatch's own package (the bridge runs from it). */
function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
}

/** The admin directory of `worktree` under `<commonDir>/worktrees/`, found from the main repository's side (its `gitdir` files), never from the worktree's `.git`. */
export function adminDirOf(commonDir: string, worktree: string): string | undefined {
  const root = path.join(commonDir, 'worktrees')
  let names: string[] = []
  try {
    names = readdirSync(root)
  } catch {
    return undefined
  }
  const want = real(path.join(worktree, '.git'))
  for (const name of names) {
    try {
      const gitdir = readFileSync(path.join(root, name, 'gitdir'), 'utf8').trim()
      if (gitdir === path.join(worktree, '.git') || real(gitdir) === want) return path.join(root, name)
    } catch {}
  }
  return undefined
}

export interface LayoutInput {
  config: Pick<Config, 'file' | 'workspace' | 'repos' | 'worktreeRoot' | 'stateDir'>
  env: NodeJS.ProcessEnv
  choice: SandboxChoice
  claudeBin: string
  /** The worker's working directory (worktree or checkout) and its repository's checkout. */
  cwd: string
  checkout: string
}

/** The layout for one worker. Reads the filesystem (realpaths, the checkout's git directory) but changes nothing. */
export function sandboxLayout(input: LayoutInput): SandboxSpec['layout'] {
  const {config, env, choice} = input
  const home = homeDir(env)
  const configDir = env.CLAUDE_CONFIG_DIR || path.join(home, '.claude')
  const hide = [home, config.worktreeRoot, config.workspace.root, config.stateDir, path.join(xdgDir('config', env), 'dispatch'), ...Object.values(config.repos)]
  if (!config.file.startsWith('(')) hide.push(path.dirname(config.file))
  const claudeReal = real(input.claudeBin)
  // Programs on PATH stay runnable (toolchains under $HOME: nvm, ~/.local/bin); their contents are not secrets.
  const onPath = (env.PATH ?? '').split(':').filter((d) => path.isAbsolute(d))
  // Never `/` itself: that would hide the system the worker runs on.
  const hidden = hide.filter((d) => path.isAbsolute(d) && d !== '/')
  // What we put back for programs must not uncover a hidden directory (a PATH entry of $HOME itself, say).
  const uncovers = (d: string) => d === '/' || hidden.some((h) => h === d || h.startsWith(d + '/'))
  const programs = [path.dirname(input.claudeBin), installDir(claudeReal), installDir(real(process.execPath)), path.dirname(path.dirname(real(process.execPath))), packageRoot(), ...onPath]
  const gitPath = path.join(input.checkout, '.git')
  let git: SandboxSpec['layout']['git']
  if (existsSync(gitPath) && statSync(gitPath).isDirectory()) {
    const adminDir = path.resolve(input.cwd) === path.resolve(input.checkout) ? undefined : adminDirOf(gitPath, input.cwd)
    git = {commonDir: gitPath, adminDir, hasPackedRefs: existsSync(path.join(gitPath, 'packed-refs'))}
  }
  return {
    hide: hidden,
    readable: [...programs.filter((d) => !uncovers(d)), ...choice.allowRead],
    worktree: input.cwd,
    git,
    claude: {configDir, projectDir: path.join(configDir, 'projects', claudeProjectSlug(input.cwd)), configFile: claudeConfigFile(env)},
    writable: choice.allowWrite,
  }
}
