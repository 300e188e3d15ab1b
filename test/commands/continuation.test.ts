// dispatch watch's continuations, end to end: a headless dispatch through the
// binary, then a run that resumes its session through the library's
// launchHeadless (as the watch loop starts one), with the stand-in claude.
import {expect} from 'chai'
import {execFile} from 'node:child_process'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {ROOT, runCli, waitFor, type Sandbox} from '../support/helpers.js'
import {useSlurm} from '../support/slurm.js'
import {records, standIns} from '../support/state.js'

const SCRIPT = path.join(ROOT, 'test', 'support', 'start-continuation.mjs')

/** Run the library's launchHeadless (or dryRun) in a process of its own, as a command would. */
function startThroughLibrary(opts: Record<string, unknown>, env: NodeJS.ProcessEnv, cwd: string): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [SCRIPT, JSON.stringify(opts)], {env, cwd, timeout: 120_000}, (error, stdout, stderr) => {
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? ''))
      } catch {
        reject(new Error(`start-continuation printed no JSON (${error?.message ?? 'exit 0'}): ${stderr}`))
      }
    })
  })
}

describe('continuations (through the binary and the library)', function () {
  this.timeout(120_000)
  const t = useForgeSandbox({repos: ['acme/api'], issues: [{owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'}]})
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  beforeEach(() => ({sb, env} = t))

  it('resumes the first run\'s session in its worktree: --resume <id>, the prompt on stdin, the chain on the record', async () => {
    const first = await runCli(['headless', 'acme/api#12', '--json'], {env, cwd: sb.dir})
    expect(first.code, first.stderr).to.equal(0)
    const started = JSON.parse(first.stdout)
    const ended = await waitFor('the first run to end', () => records(sb).find((r) => r.pid === started.pid && r.ended_at && r.claude_session_id))
    const session = ended.claude_session_id as string
    const prompt = 'Your last run ended with an API error before it finished. Go on from where you stopped.'
    const continuation = {sessionId: session, prompt, attempt: 2, round: 0, continues: String(started.pid), reason: 'retry', trackerCommentId: 501}

    const planned = await startThroughLibrary({ref: 'acme/api#12', dryRun: true, continuation, watched: true}, env, sb.dir)
    expect(planned.plan.claude.args.slice(0, 3)).to.deep.equal(['-p', '--resume', session])
    expect(planned.plan.prompt).to.equal(prompt)
    expect(planned.plan.continuation).to.deep.equal({session_id: session, attempt: 2, round: 0, continues: String(started.pid), reason: 'retry'})

    const out = await startThroughLibrary({ref: 'acme/api#12', continuation, watched: true}, env, sb.dir)
    expect(out.error, JSON.stringify(out.error)).to.equal(undefined)
    expect(out.launched).to.include({attempt: 2, round: 0, continues: String(started.pid), continuation: 'retry', watched: true, tracker_comment_id: 501})
    const resumed = standIns(sb).find((s) => s.argv.includes('--resume'))!
    expect(resumed.argv.slice(0, 3)).to.deep.equal(['-p', '--resume', session])
    expect(resumed.stdin).to.equal(prompt)
    expect(resumed.cwd).to.equal(started.cwd)
    const done = await waitFor('the resumed run to end', () => records(sb).find((r) => r.pid === out.record.pid && r.ended_at))
    // The resumed run goes on in the same session, with the chain's keys on its record.
    expect(done).to.include({claude_session_id: session, attempt: 2, round: 0, continues: String(started.pid), continuation: 'retry', watched: true, tracker_comment_id: 501, cwd: started.cwd})

    // No session to resume: the template prompt, as a fresh start in the same worktree, on the next attempt.
    const fresh = await startThroughLibrary({ref: 'acme/api#12', continuation: {...continuation, sessionId: null, attempt: 3, continues: String(out.record.pid)}, watched: true}, env, sb.dir)
    expect(fresh.error, JSON.stringify(fresh.error)).to.equal(undefined)
    const third = standIns(sb).find((s) => s.pid === fresh.record.pid)!
    expect(third.argv).not.to.include('--resume')
    expect(third.stdin).to.include('Fix the login bug').and.not.to.equal(prompt)
    expect(third.cwd).to.equal(started.cwd)
    expect(fresh.launched).to.include({attempt: 3, continuation: 'retry', watched: true})

    // dispatch status folds the three runs under the issue, each with its attempt and round.
    const status = await runCli(['status', '--json'], {env, cwd: sb.dir})
    expect(status.code, status.stderr).to.equal(0)
    const [row] = JSON.parse(status.stdout).filter((e: {ref: string}) => e.ref === 'acme/api#12')
    expect([row.attempts, row.attempt, row.round]).to.deep.equal([3, 3, 0])
    expect(row.earlier_attempts.map((e: {attempt?: number}) => e.attempt ?? null)).to.deep.equal([2, null])
  })

  it('a refusal names its reason: a second run while the first is active is a duplicate', async () => {
    const first = await runCli(['headless', 'acme/api#12', '--json'], {env: {...env, STANDIN_HOLD_FILE: t.release}, cwd: sb.dir})
    expect(first.code, first.stderr).to.equal(0)
    const out = await startThroughLibrary({ref: 'acme/api#12', continuation: {sessionId: 'x', prompt: 'go on', attempt: 2, round: 0, continues: null, reason: 'retry'}, watched: true}, env, sb.dir)
    expect(out.error).to.deep.include({name: 'PolicyError', reason: 'duplicate'})
  })
})

describe('continuations on the Slurm runner (a real one-node cluster)', function () {
  this.timeout(180_000)
  const slurm = useSlurm(this)
  const t = useForgeSandbox({repos: ['acme/api'], issues: [{owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'}], config: {runner: {kind: 'slurm', slurm: {}}}})
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  beforeEach(() => {
    sb = t.sb
    env = {...t.env, ...slurm.cluster().env}
  })

  it('the job resumes the session: --resume <id>, the prompt on stdin, the chain on the job\'s record', async () => {
    const first = await runCli(['headless', 'acme/api#12', '--json'], {env, cwd: sb.dir})
    expect(first.code, first.stderr).to.equal(0)
    const ended = await waitFor('the first job to end', () => records(sb).find((r) => r.runner === 'slurm' && r.ended_at && r.claude_session_id), 90_000)
    const prompt = 'The checks failed on your pull request: lint. Fix them and push.'
    const continuation = {sessionId: ended.claude_session_id, prompt, attempt: 1, round: 1, continues: `slurm-${ended.job_id}`, reason: 'checks'}
    const out = await startThroughLibrary({ref: 'acme/api#12', continuation, watched: true}, env, sb.dir)
    expect(out.error, JSON.stringify(out.error)).to.equal(undefined)
    expect(out.launched).to.include({runner: 'slurm', attempt: 1, round: 1, continues: `slurm-${ended.job_id}`, continuation: 'checks', watched: true})
    const done = await waitFor('the resumed job to end', () => records(sb).find((r) => r.job_id === out.launched.job_id && r.ended_at), 90_000)
    expect(done).to.include({claude_session_id: ended.claude_session_id, round: 1, continuation: 'checks', cwd: ended.cwd, exit_code: 0})
    const resumed = standIns(sb).find((s) => s.argv.includes('--resume'))!
    expect(resumed.argv.slice(0, 3)).to.deep.equal(['-p', '--resume', ended.claude_session_id])
    expect(resumed.stdin).to.equal(prompt)
  })
})
