import {expect} from 'chai'
import {mkdtempSync, readFileSync, readdirSync, rmSync, statSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {PassThrough} from 'node:stream'

import {createDeps, dispatchContext, type ProcessLike} from '../../src/lib/context.js'
import {gitEnv, gitQuery, useGitEnv} from '../../src/lib/git.js'
import {ROOT, git} from '../support/helpers.js'

/**
 * The files that may read the process's env and cwd, and why. Everything else
 * in src/ takes them from the composition root (src/lib/context.ts).
 */
const ROOTS: Record<string, string> = {
  'src/lib/context.ts': 'the composition root',
  'src/lib/worker/supervisor.ts': "the worker supervisor's own process",
  'src/lib/interactive/runner.ts': "the interactive runner's own process",
  'src/lib/runners/slurm-job.ts': "a Slurm job's own process on its node",
  'src/lib/reap/sweeper.ts': "the background sweep's own process",
  'src/lib/sandbox/bridge.ts': "the sandbox bridge's own process, inside the sandbox",
  'src/lib/sandbox/relay-client.ts': 'a sandboxed worker\'s dispatch call, relayed before anything is wired (bin/run.js)',
  'src/lib/faults.ts': 'a test hook read before anything is wired',
}
/** Single lines elsewhere that are a library boundary's default, by file and the text they hold. */
const BOUNDARY_DEFAULTS: Array<[string, string]> = [
  ['src/lib/git.ts', 'root-exception:'],
  // Registry.conflicts is public library API (src/index.ts); every caller in src/ passes cwd.
  ['src/lib/registry/store.ts', 'cwd = process.cwd()'],
  // The relay is always given the worktree as its root (sandbox/launch.ts); this is the library default.
  ['src/lib/sandbox/relay.ts', 'root ?? process.cwd()'],
]

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name)
    if (statSync(file).isDirectory()) return sources(file)
    return /\.(ts|mts|js|mjs)$/.test(name) ? [file] : []
  })
}

/**
 * The files that may make a Registry, and why: every other part of src/ uses
 * the run's one (Deps.registry), handed down by its caller.
 */
const REGISTRY_ROOTS: Record<string, string> = {
  'src/lib/context.ts': 'the composition root',
  'src/lib/doctor.ts': 'doctor loads its own config (it reports one that fails to load) and reads that state dir',
  'src/lib/worker/supervisor.ts': "the worker supervisor's own process",
  'src/lib/interactive/runner.ts': "the interactive runner's own process",
  'src/lib/runners/slurm-job.ts': "a Slurm job's own process on its node",
  'src/lib/reap/sweeper.ts': "the background sweep's own process",
}

/** Lines of code (not comments) in src/ outside `roots` that match `pattern`, unless `allowed`. */
function offenders(pattern: RegExp, roots: Record<string, string>, allowed: (rel: string, line: string) => boolean = () => false): string[] {
  const found: string[] = []
  for (const file of sources(path.join(ROOT, 'src'))) {
    const rel = path.relative(ROOT, file).split(path.sep).join('/')
    if (roots[rel]) continue
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      const code = line.trim()
      if (code.startsWith('*') || code.startsWith('//') || code.startsWith('/*')) return
      if (!pattern.test(code.replace(/\s\/\/.*$/, ''))) return
      if (allowed(rel, line)) return
      found.push(`${rel}:${i + 1}: ${code}`)
    })
  }
  return found
}

describe('one composition root', () => {
  it('process.env and process.cwd() are read only by the composition root and the separate entry points', () => {
    const found = offenders(/\bprocess\.(env\b|cwd\s*\()/, ROOTS, (rel, line) => BOUNDARY_DEFAULTS.some(([f, text]) => f === rel && line.includes(text)))
    expect(found, `take env/cwd from the composition root (src/lib/context.ts) instead:\n${found.join('\n')}`).to.deep.equal([])
  })

  it('one Registry per run: only the composition root and the separate entry points make one', () => {
    const found = offenders(/\bnew\s+Registry\s*\(/, REGISTRY_ROOTS)
    expect(found, `take the registry from the caller (Deps.registry, made in src/lib/context.ts) instead:\n${found.join('\n')}`).to.deep.equal([])
  })

  describe('createDeps', () => {
    let dir: string
    beforeEach(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'dispatch-deps-'))
    })
    afterEach(() => {
      useGitEnv(process.env)
      rmSync(dir, {recursive: true, force: true})
    })

    /** A stand-in process: its own env and cwd, streams that are no terminal. */
    function standIn(env: NodeJS.ProcessEnv): ProcessLike {
      const out = Object.assign(new PassThrough(), {isTTY: false}) as unknown as NodeJS.WriteStream
      return {env, cwd: () => dir, stdout: out, stderr: out, stdin: new PassThrough() as unknown as NodeJS.ReadStream}
    }

    it('wires env, cwd and stream facts from the process it is given, and runs read-only on the defaults with no config', async () => {
      const env = {HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'cfg'), XDG_STATE_HOME: path.join(dir, 'state'), PATH: process.env.PATH}
      const deps = await createDeps({readOnly: true, warn: () => {}}, standIn(env))
      expect(deps.env).to.equal(env)
      expect(deps.cwd).to.equal(dir)
      expect(deps.streams).to.include({stdoutTTY: false, stderrTTY: false, stdinTTY: false, color: false, width: undefined})
      expect(deps.config.stateDir).to.equal(path.join(dir, 'state', 'dispatch'))
    })

    it('makes one Registry per run, shared with the dispatching context', async () => {
      const env = {HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'cfg'), XDG_STATE_HOME: path.join(dir, 'state')}
      const deps = await createDeps({readOnly: true, warn: () => {}}, standIn(env))
      expect(deps.registry()).to.equal(deps.registry())
      expect(dispatchContext(deps).registry()).to.equal(deps.registry())
    })

    it("hands git children the run's env", async () => {
      git(dir, 'init', '-q')
      const env = {...process.env, HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'cfg'), GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'dispatch.probe', GIT_CONFIG_VALUE_0: 'from-the-root'}
      await createDeps({readOnly: true, warn: () => {}}, standIn(env))
      expect(await gitQuery(dir, ['config', '--get', 'dispatch.probe'])).to.equal('from-the-root')
    })
  })

  describe('gitEnv', () => {
    const table: Array<[string, NodeJS.ProcessEnv, Record<string, string | undefined>]> = [
      ['drops editors, pagers and askpass helpers', {EDITOR: 'vim', GIT_PAGER: 'less', SSH_ASKPASS: 'x', Visual: 'y', PATH: '/bin'}, {EDITOR: undefined, GIT_PAGER: 'cat', GIT_EDITOR: ':', SSH_ASKPASS: undefined, Visual: undefined, PATH: '/bin'}],
      ['never prompts, in the C locale', {LC_ALL: 'de_DE.UTF-8'}, {GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C'}],
      ['BatchMode ssh unless the caller set its own', {}, {GIT_SSH_COMMAND: 'ssh -o BatchMode=yes -o ConnectTimeout=10'}],
      ["keeps the caller's ssh command", {GIT_SSH_COMMAND: 'ssh -i key'}, {GIT_SSH_COMMAND: 'ssh -i key'}],
    ]
    for (const [title, base, expected] of table) {
      it(title, () => {
        const env = gitEnv(base)
        for (const [k, v] of Object.entries(expected)) expect(env[k], k).to.equal(v)
      })
    }
  })
})
