/**
 * Every command's --json shape against a committed snapshot
 * (test/fixtures/json-shapes/<case>.json), so a change to public JSON is
 * deliberate. A shape keeps key names and value types, never values: pids,
 * times and temp paths drop out by construction. To accept a change on
 * purpose: UPDATE_JSON_SHAPES=1 npx mocha test/commands/json-shapes.test.ts,
 * then review the diff of test/fixtures/json-shapes/ and commit it.
 */
import {expect} from 'chai'
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {processStartTime} from '../../src/lib/proc.js'
import {startFakeForge} from '../support/fake-forge.mjs'
import {ROOT, git, makeRepo, makeSandbox, runCli, waitFor, writeConfig, type Sandbox} from '../support/helpers.js'
import {writeRecord} from '../support/state.js'

const SHAPES = path.join(ROOT, 'test', 'fixtures', 'json-shapes')
const UPDATE = Boolean(process.env.UPDATE_JSON_SHAPES)

type Shape = string | Shape[] | {[key: string]: Shape}

/** Two shapes as one: objects by the union of their keys, different types as "a|b". Pure. */
function merge(a: Shape, b: Shape): Shape {
  if (JSON.stringify(a) === JSON.stringify(b)) return a
  if (typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
    return Object.fromEntries(keys.map((k) => [k, k in a && k in b ? merge(a[k], b[k]) : (a[k] ?? b[k])]))
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === 0 ? b : b.length === 0 ? a : [merge(a[0], b[0])]
  const types = new Set([...(typeof a === 'string' ? a.split('|') : [JSON.stringify(a)]), ...(typeof b === 'string' ? b.split('|') : [JSON.stringify(b)])])
  return [...types].sort().join('|')
}

/**
 * Key names and value types, never values; an array as one item shape
 * merged over all its items (so the order or number of rows never matters). Pure.
 */
export function shapeOf(value: unknown): Shape {
  if (value === null) return 'null'
  if (Array.isArray(value)) return value.length === 0 ? [] : [value.map(shapeOf).reduce(merge)]
  if (typeof value === 'object') {
    return Object.fromEntries(Object.keys(value as object).sort().map((k) => [k, shapeOf((value as Record<string, unknown>)[k])]))
  }
  return typeof value
}

function expectShape(name: string, stdout: string): void {
  const shape = shapeOf(JSON.parse(stdout))
  const file = path.join(SHAPES, `${name}.json`)
  const text = JSON.stringify(shape, null, 2) + '\n'
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE) throw new Error(`No snapshot ${path.relative(ROOT, file)}; write it with UPDATE_JSON_SHAPES=1 and commit it.`)
    writeFileSync(file, text)
    return
  }
  expect(shape, `${name}: the --json shape changed; if on purpose, rerun with UPDATE_JSON_SHAPES=1 and commit test/fixtures/json-shapes/${name}.json`).to.deep.equal(JSON.parse(readFileSync(file, 'utf8')))
}

/** A full record, as the supervisor writes one (every optional key a worker can have, so none goes unchecked). */
function record(pid: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema_version: 2,
    pid,
    pid_start_time: processStartTime(pid) ?? null,
    supervisor_pid: pid,
    mode: 'headless',
    ref: 'acme/api#12',
    repo: 'acme/api',
    forge: 'github',
    url: 'https://github.com/acme/api/issues/12',
    title: 'Fix the login bug',
    started_at: new Date(Date.now() - 60_000).toISOString(),
    parent_session: null,
    paths_claimed: ['src'],
    cwd: '/nonexistent/wt',
    branch: 'dispatch/issue-12-fix-the-login-bug',
    log_path: null,
    cascade_depth: 0,
    claude_session_id: 'session-12',
    worker_index: 0,
    port: 3100,
    ...extra,
  }
}

describe('--json shapes (against test/fixtures/json-shapes/)', function () {
  this.timeout(60_000)
  let sb: Sandbox
  let forge: Awaited<ReturnType<typeof startFakeForge>>
  let sleeper: ChildProcess
  const json = async (name: string, args: string[], cwd?: string) => {
    const res = await runCli(args, {env: sb.env, cwd})
    expect(res.stdout, `${args.join(' ')}: ${res.stderr}`).to.match(/^[[{]/)
    expectShape(name, res.stdout)
    return res
  }

  before(async () => {
    forge = await startFakeForge()
    sb = makeSandbox()
    const checkout = makeRepo(sb, 'acme', 'api')
    forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug', body: 'It breaks.'})
    // The finished worker's branch has a pull request with a check, so status's outcome shows every key.
    forge.addPull({owner: 'acme', repo: 'api', number: 7, branch: 'dispatch/issue-12-fix-the-login-bug', headSha: 'a'.repeat(40)})
    forge.addCheckRun({owner: 'acme', repo: 'api', sha: 'a'.repeat(40), conclusion: 'failure'})
    writeConfig(sb, {github: forge.github})
    // A worktree under worktreeRoot, for reap to judge.
    mkdirSync(path.join(sb.worktreeRoot, 'acme', 'api'), {recursive: true})
    git(checkout, 'worktree', 'add', '-b', 'dispatch/issue-99-old', path.join(sb.worktreeRoot, 'acme', 'api', 'issue-99-old'))
    // Its own process group, as a worker has: stop signals the group.
    sleeper = spawn('sleep', ['60'], {stdio: 'ignore', detached: true})
    await waitFor('sleeper', () => processStartTime(sleeper.pid!))
    writeRecord(sb, record(sleeper.pid!, {cwd: path.join(sb.worktreeRoot, 'acme', 'api', 'issue-99-old')}))
    writeRecord(sb, record(999_012, {ref: 'acme/api#13', ended_at: new Date(Date.now() - 30 * 86_400_000).toISOString(), started_at: new Date(Date.now() - 31 * 86_400_000).toISOString(), exit_code: 0, exit_signal: null, cost_usd: 0.12, num_turns: 3}))
  })
  afterEach(() => forge.verify())
  after(async () => {
    sleeper.kill('SIGKILL')
    await forge.close()
    sb.cleanup()
  })

  it('--version', () => json('version', ['--version', '--json']))
  it('sidequests list', () => json('sidequests-list', ['sidequests', 'list', '--json']))
  it('sidequests list --all', () => json('sidequests-list-all', ['sidequests', 'list', '--all', '--json']))
  it('sidequests conflicts', () => json('sidequests-conflicts', ['sidequests', 'conflicts', path.join(sb.worktreeRoot, 'acme', 'api', 'issue-99-old', 'src'), '--json']))
  it('sidequests prune --dry-run', () => json('sidequests-prune', ['sidequests', 'prune', '--older-than', '1d', '--dry-run', '--json']))
  it('status', () => json('status-list', ['status', '--all', '--json']))
  it('status <ref>', () => json('status-one', ['status', 'acme/api#13', '--json']))
  it('doctor', () => json('doctor', ['doctor', '--json']))
  it('reap --dry-run', () => json('reap', ['reap', '--dry-run', '--json']))
  it('init', () => json('init', ['init', '--owner', 'acme', '--workspace-root', sb.workspace, '--config', path.join(sb.dir, 'init', 'config.yaml'), '--json']))
  it('an error', () => json('error', ['status', '--bogus', '--json']))
  for (const mode of ['headless', 'cascade', 'interactive']) {
    // The dry run's shape is the dispatching commands' public JSON that needs no worker.
    it(`${mode} --dry-run`, () => json(`${mode}-dry-run`, [mode, 'acme/api#12', '--dry-run', '--json']))
  }
  it('headless fan-out --dry-run (planned, refused, failed)', () => {
    forge.addIssue({owner: 'acme', repo: 'api', number: 14, state: 'closed'})
    forge.addMissing({owner: 'acme', repo: 'api', number: 15})
    return json('headless-fanout-dry-run', ['headless', 'acme/api#12', 'acme/api#14', 'acme/api#15', '--dry-run', '--json'])
  })
  it('stop (last: it ends the live worker)', () => json('stop', ['stop', '--pid', String(sleeper.pid), '--timeout', '1', '--json']))
})
