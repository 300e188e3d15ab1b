/**
 * Starting the session runner in another terminal: a tmux window or session,
 * the operator's `interactive.command`, or a Warp launch configuration.
 */
import {execFile} from 'node:child_process'
import {mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {LAUNCHER_PLACEHOLDERS, fillCommandTemplate, parseCommandTemplate, templateEnv} from '../command-template.js'
import {helperScript} from '../dev-loader.js'
import {shellJoin, shellQuote} from '../shell.js'
import {inertLine} from '../terminal.js'
import {tmuxSessionName, warpConfigDir} from './lines.js'
import type {SessionSpec} from './session.js'
import type {LaunchInput, SurfaceResult} from './surfaces.js'

/** The argv that runs the session runner on a handoff file. */
export function runnerArgv(specFile: string): string[] {
  const runner = helperScript(import.meta.url, 'runner')
  return [process.execPath, ...runner.execArgv, runner.file, specFile]
}

function exec(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, {env, timeout: timeoutMs, encoding: 'utf8'}, (error, stdout, stderr) => {
      if (error) reject(new Error((stderr || '').trim().split('\n').pop() || error.message))
      else resolve(stdout.trim())
    })
  })
}

/**
 * Run `argv` (the session runner) in the terminal `input.surface` names, titled
 * `title`; what the result should say about where it went. Throws when the
 * terminal could not be opened.
 */
export async function openTerminal(input: LaunchInput, spec: SessionSpec, argv: string[], title: string): Promise<Partial<SurfaceResult>> {
  const {env} = input
  let extra: Partial<SurfaceResult> = {}
  if (input.surface === 'tmux') {
    const windowName = inertLine(spec.record.ref)
    let out: string
    if (env.TMUX) {
      out = await exec('tmux', ['new-window', '-P', '-F', '#{pane_id}', '-n', windowName, '-c', spec.cwd, '--', ...argv], env)
    } else {
      const session = tmuxSessionName(spec.record.ref)
      out = await exec('tmux', ['new-session', '-d', '-P', '-F', '#{pane_id}', '-s', session, '-n', windowName, '-c', spec.cwd, '--', ...argv], env)
      extra = {attach: `tmux attach -t ${shellQuote(session)}`}
    }
    const pane = out.split('\n').pop()!.trim()
    await exec('tmux', ['select-pane', '-t', pane, '-T', title], env).catch(() => {})
    extra.tmux_target = pane
  } else if (input.surface === 'command') {
    if (!input.commandTemplate) throw new Error('interactive.command is not set in the config')
    // No shell: each value is one argument (and a DISPATCH_* variable), byte for byte.
    const values = {cwd: spec.cwd, argv, title, ref: spec.record.ref}
    const [program, ...args] = fillCommandTemplate(parseCommandTemplate(input.commandTemplate, LAUNCHER_PLACEHOLDERS), values)
    await exec(program, args, {...env, ...templateEnv(values)})
  } else if (input.surface === 'warp') {
    const platform = input.platform ?? process.platform
    const dir = warpConfigDir(env, platform, env.HOME ?? '')
    const name = tmuxSessionName(spec.record.ref)
    const file = path.join(dir, `${name}.yaml`)
    const {dump} = await import('js-yaml')
    await mkdir(dir, {recursive: true})
    await writeFile(
      file,
      dump({name, windows: [{tabs: [{title, layout: {cwd: spec.cwd, commands: [{exec: shellJoin(argv)}]}}]}]}, {lineWidth: -1}),
      {mode: 0o600},
    )
    extra = {launch_config: file}
    await exec(platform === 'darwin' ? 'open' : 'xdg-open', [`warp://launch/${encodeURIComponent(path.basename(file))}`], env)
  }
  return extra
}
