/**
 * Start one worker's sandbox, in the process that runs claude (the
 * supervisor, a Slurm job, the interactive runner, a foreground dispatch):
 * its private directory, the copy of Claude's config file, the proxy (and
 * for cascade the relay), and the bwrap command that runs claude through the
 * bridge. `close()` when claude has ended.
 */
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {helperScript} from '../dev-loader.js'
import {bwrapArgs, SANDBOX_RUN_DIR} from './bwrap.js'
import type {SandboxSpec} from './layout.js'
import {startSandboxServices} from './services.js'

export interface SandboxedCommand {
  file: string
  args: string[]
  close(): Promise<void>
}

/**
 * Claude's config file as the sandbox sees it: every top-level setting, but
 * only this worktree's project entry (the others name the operator's other
 * checkouts, and their MCP servers). Changes made inside stay inside. Pure.
 */
export function sandboxedClaudeConfig(text: string | undefined, cwd: string): string {
  let obj: Record<string, unknown> = {}
  try {
    const parsed = JSON.parse(text ?? '{}')
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) obj = parsed
  } catch {}
  const projects = obj.projects && typeof obj.projects === 'object' ? (obj.projects as Record<string, unknown>) : {}
  return JSON.stringify({...obj, projects: cwd in projects ? {[cwd]: projects[cwd]} : {}}, null, 2) + '\n'
}

/** Make the sandbox's parts and the command that runs `claudeBin args` inside it. */
export async function sandboxCommand(spec: SandboxSpec, claudeBin: string, claudeArgs: readonly string[], env: NodeJS.ProcessEnv, onDenied?: (line: string) => void): Promise<SandboxedCommand> {
  mkdirSync(spec.servicesRoot, {recursive: true, mode: 0o700})
  const dir = mkdtempSync(path.join(spec.servicesRoot, 'w-'))
  const runDir = path.join(dir, 'run')
  mkdirSync(runDir, {mode: 0o700})
  const {layout} = spec
  let text: string | undefined
  try {
    text = readFileSync(layout.claude.configFile, 'utf8')
  } catch {}
  const copy = path.join(dir, 'claude.json')
  writeFileSync(copy, sandboxedClaudeConfig(text, layout.worktree), {mode: 0o600})
  // Made outside first: bwrap would otherwise create the mount points inside a read-only tree.
  mkdirSync(layout.claude.projectDir, {recursive: true, mode: 0o700})
  if (layout.git) mkdirSync(path.join(layout.git.commonDir, 'logs'), {recursive: true})
  let services
  try {
    services = await startSandboxServices({dir: runDir, allow: spec.allow, relay: spec.relay ? {env, ...spec.relay, cwd: layout.worktree} : undefined, onDenied})
  } catch (error) {
    rmSync(dir, {recursive: true, force: true})
    throw error
  }
  const inside = (socket: string) => path.posix.join(SANDBOX_RUN_DIR, path.relative(runDir, socket))
  const bridge = helperScript(import.meta.url, 'bridge')
  const command = [
    process.execPath,
    ...bridge.execArgv,
    bridge.file,
    '--proxy-socket',
    inside(services.proxySocket),
    ...(services.relaySocket ? ['--relay-socket', inside(services.relaySocket)] : []),
    '--',
    claudeBin,
    ...claudeArgs,
  ]
  const args = bwrapArgs({...layout, claude: {...layout.claude, configFile: {copy, path: layout.claude.configFile}}, servicesDir: runDir}, command)
  let closed = false
  return {
    file: spec.bwrap,
    args,
    async close() {
      if (closed) return
      closed = true
      await services.close().catch(() => {})
      rmSync(dir, {recursive: true, force: true})
    },
  }
}
