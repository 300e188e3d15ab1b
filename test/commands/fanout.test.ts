// Fan-out (issue #14): several refs, or --label with --repo, through the real
// binary against the loopback forge (GitHub and Forgejo), real git repos and
// the stand-in claude.
import {expect} from 'chai'
import {existsSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox, type FakeForge} from '../support/forge-sandbox.js'
import {makeRepo, runCli, startCli, waitFor, writeConfig, type Sandbox} from '../support/helpers.js'
import {auditLines, records, standIns} from '../support/state.js'

type Element = {input: string; ref: string; outcome: string; worker?: Record<string, any>; plan?: Record<string, any>; error?: {code: string; exit_code: number; message: string}; log_tail?: string[]}

/** The records of workers still running, by ref. */
const liveRefs = (sb: Sandbox) =>
  records(sb)
    .filter((r) => !r.ended_at)
    .map((r) => r.ref)
    .sort()

describe('dispatch headless / cascade fan-out (through the binary)', function () {
  this.timeout(180_000)
  // Workers stay alive until released (hold), so each one counts for the next admission.
  const t = useForgeSandbox({hold: true, repos: ['acme/api'], env: {GH_TOKEN: 'ghp_SECRETTOKEN0123456789', FORGEJO_TOKEN: 'fj_SECRETTOKEN0123456789'}, exitWaitMs: 15_000})
  let forge: FakeForge
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  beforeEach(() => ({forge, sb, env} = t))

  for (const kind of ['github', 'forgejo'] as const) {
    it(`${kind}: --label fans out over 20 open issues; closed, moved outside the owners, duplicate and past maxActive are refused and listed; exit 3`, async () => {
      writeConfig(sb, {github: forge.github, ...(kind === 'forgejo' ? {forgejo: forge.forgejo} : {})}, {maxActive: 8})
      for (let n = 1; n <= 18; n++) forge.addIssue({forge: kind, owner: 'acme', repo: 'api', number: n, title: `Task ${n}`, labels: ['ready']})
      // Closed after the list was read: the list shows it open, the fetch says closed.
      forge.addIssue({forge: kind, owner: 'acme', repo: 'api', number: 20, title: 'Task 20', labels: ['ready'], state: 'closed', listState: 'open'})
      // Moved to an owner dispatch may not touch after the list was read.
      forge.addIssue({forge: kind, owner: 'outsider', repo: 'new', number: 1, title: 'Moved away'})
      forge.transfer({forge: kind, from: {owner: 'acme', repo: 'api', number: 19}, to: {owner: 'outsider', repo: 'new', number: 1}, listedWith: ['ready']})
      // Not listed: another label, a pull request with the label, a closed issue with it.
      forge.addIssue({forge: kind, owner: 'acme', repo: 'api', number: 21, labels: ['later']})
      forge.addIssue({forge: kind, owner: 'acme', repo: 'api', number: 22, labels: ['ready'], pull: true})
      forge.addIssue({forge: kind, owner: 'acme', repo: 'api', number: 23, labels: ['ready'], state: 'closed'})

      // A worker already on #18: a duplicate for the fan-out.
      const first = await runCli(['headless', 'acme/api#18'], {env})
      expect(first.code, first.stderr).to.equal(0)
      forge.requests.length = 0

      const res = await runCli(['headless', '--label', 'ready', '--json', '--repo=acme/api', '--limit', '40'], {env, timeoutMs: 150_000})
      expect(res.code, res.stderr).to.equal(3)
      const out: Element[] = JSON.parse(res.stdout)
      // Newest first, as the forges list them: one element per listed issue.
      expect(out.map((e) => e.ref)).to.deep.equal(['acme/api#20', 'acme/api#19', ...Array.from({length: 18}, (_, i) => `acme/api#${18 - i}`)])
      const base = kind === 'github' ? forge.github.webUrl : forge.forgejo.baseUrl
      expect(out[0].input).to.equal(`${base}/acme/api/issues/20`)
      const by = (ref: string) => out.find((e) => e.ref === ref)!
      expect(by('acme/api#20')).to.deep.include({outcome: 'refused'})
      expect(by('acme/api#20').error).to.include({code: 'refused', exit_code: 3}).and.have.property('message').that.match(/acme\/api#20 is closed/)
      expect(by('acme/api#19').outcome).to.equal('refused')
      expect(by('acme/api#19').error!.message).to.match(/"outsider" is not in allowedOwners \(the issue now lives in outsider\/new\)/)
      expect(by('acme/api#18').outcome).to.equal('refused')
      expect(by('acme/api#18').error!.message).to.match(/already has an active worker/)
      // One worker ran before; seven more fill maxActive 8; the rest are refused and listed.
      const started = out.filter((e) => e.outcome === 'started')
      expect(started.map((e) => e.ref)).to.deep.equal(Array.from({length: 7}, (_, i) => `acme/api#${17 - i}`))
      for (const e of started) {
        expect(e.worker).to.include({ref: e.ref, mode: 'headless', health: 'replied', worktree_slot: 1})
        expect(e.worker!.pid).to.be.a('number')
        expect(e).not.to.have.property('error')
      }
      const full = out.filter((e) => /maxActive is 8/.test(e.error?.message ?? ''))
      expect(full.map((e) => e.ref)).to.deep.equal(Array.from({length: 10}, (_, i) => `acme/api#${10 - i}`))
      expect(full.every((e) => e.outcome === 'refused' && !e.worker)).to.equal(true)
      expect(liveRefs(sb)).to.deep.equal(['acme/api#11', 'acme/api#12', 'acme/api#13', 'acme/api#14', 'acme/api#15', 'acme/api#16', 'acme/api#17', 'acme/api#18'])
      // Only the refused ones' worktrees are absent.
      expect(readdirSync(path.join(sb.worktreeRoot, 'acme', 'api')).sort()).to.have.length(8)
      // The list came from the forge configured for the owner, and no token reached a worker's record or the output.
      const prefix = kind === 'github' ? '/gh-api' : '/fj/api/v1'
      expect(forge.requestsTo(`${prefix}/repos/acme/api/issues`)).to.have.length(1)
      expect(res.stdout + res.stderr).not.to.include('SECRETTOKEN')
      const audit = auditLines(sb).at(-1)!
      expect(audit).to.include({command: 'headless', exit_code: 3})
    })
  }

  it('several refs with flags before, between and after them, = forms and -- pass-through; claim conflicts and an owner outside the list refused; exit 3', async () => {
    makeRepo(sb, 'acme', 'web')
    writeConfig(sb, {github: forge.github})
    for (const n of [1, 3]) forge.addIssue({owner: 'acme', repo: 'api', number: n, title: `Api ${n}`})
    forge.addIssue({owner: 'acme', repo: 'web', number: 2, title: 'Web 2'})
    forge.addIssue({owner: 'acme', repo: 'web', number: 9, title: 'Web 9'})
    // A worker on acme/web already claims src there.
    const held = await runCli(['headless', 'acme/web#9', '--claims', 'src'], {env})
    expect(held.code, held.stderr).to.equal(0)

    const res = await runCli(['headless', '--model=opus', 'acme/api#1', 'acme/web#2', '--claims=src', 'evil/x#1', 'acme/api#3', '--max-budget-usd', '2', '--', '--max-turns', '7', 'acme/api#99'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(3)
    // One line per issue, in the order given.
    const lines = res.stdout.trim().split('\n')
    expect(lines).to.have.length(4)
    expect(lines[0]).to.match(/^started +acme\/api#1 +pid \d+ +dispatch\/issue-1-api-1 +\(the model replied\)$/)
    expect(lines[1]).to.match(/^refused +acme\/web#2 +Claim src in acme\/web overlaps src \(exact\), claimed by pid \d+ working on acme\/web#9\.$/)
    expect(lines[2]).to.match(/^refused +evil\/x#1 +.*"evil" is not in allowedOwners/)
    // Every issue of a fan-out gets the same --claims: the second in one repository meets the first's.
    expect(lines[3]).to.match(/^refused +acme\/api#3 +Claim src in acme\/api overlaps src \(exact\), claimed by pid \d+ working on acme\/api#1\.$/)
    expect(res.stderr).to.include('Started 1 headless worker for 4 issues; 3 refused.')
    const worker = standIns(sb).find((s) => s.stdin?.includes('acme/api#1'))!
    expect(worker.argv).to.include.members(['opus', '--max-budget-usd', '2', '--max-turns', '7', 'acme/api#99'])
    expect(records(sb).find((r) => r.ref === 'acme/api#1')!.paths_claimed).to.deep.equal(['src'])
    // The ref after -- went to claude, not to the fan-out.
    expect(forge.requestsTo('/gh-api/repos/acme/api/issues/99')).to.have.length(0)
  })

  it('a missing issue and a worker that crashes at start fail without stopping the others; exit 1, one JSON element each', async () => {
    writeConfig(sb, {github: forge.github})
    forge.addIssue({owner: 'acme', repo: 'api', number: 1, title: 'Fine'})
    forge.addMissing({owner: 'acme', repo: 'api', number: 404})
    forge.addIssue({owner: 'acme', repo: 'api', number: 5, title: 'Doomed', body: 'CRASH-ME'})
    forge.addIssue({owner: 'acme', repo: 'api', number: 6, title: 'Also fine'})
    const res = await runCli(['headless', 'acme/api#1', 'acme/api#404', 'acme/api#5', 'acme/api#6', '--json'], {env: {...env, STANDIN_CRASH_ON: 'CRASH-ME'}})
    expect(res.code, res.stderr).to.equal(1)
    const out: Element[] = JSON.parse(res.stdout)
    expect(out.map((e) => [e.ref, e.outcome])).to.deep.equal([
      ['acme/api#1', 'started'],
      ['acme/api#404', 'failed'],
      ['acme/api#5', 'failed'],
      ['acme/api#6', 'started'],
    ])
    expect(out[1].error).to.include({code: 'not_found', exit_code: 4})
    expect(out[2].error!.message).to.match(/exited with code 1 during start-up/)
    expect(out[2].log_tail!.join('\n')).to.include('simulated crash')
    expect(liveRefs(sb)).to.deep.equal(['acme/api#1', 'acme/api#6'])
  })

  it('cascade fans out too; all started is exit 0; the health windows overlap', async () => {
    // Silent workers never reply, and no health window closes before the test writes the file: all five
    // workers are started while the first window is still open, which one window after another could not do.
    for (let n = 1; n <= 5; n++) forge.addIssue({owner: 'acme', repo: 'api', number: n, title: `Part ${n}`})
    const close = path.join(sb.dir, 'close-health-windows')
    const cli = startCli(['cascade', 'acme/api#1', 'acme/api#2', '--depth=2', 'acme/api#3', 'acme/api#4', 'acme/api#5'], {env: {...env, STANDIN_MODE: 'silent', DISPATCH_FAULT_HEALTH_FILE: close}})
    await cli.waitFor('five workers started, every window still open', () => records(sb).length === 5)
    writeFileSync(close, '')
    const res = await cli.done
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stderr).to.include('✓ Started 5 cascade workers for 5 issues.')
    expect(res.stdout.trim().split('\n').every((l) => /^started +acme\/api#\d +pid \d+ .*\(alive and error-free\)$/.test(l)), res.stdout).to.equal(true)
    expect(records(sb).map((r) => r.cascade_depth)).to.deep.equal([2, 2, 2, 2, 2])
  })

  it('--dry-run plans every issue and starts nothing; exit 0', async () => {
    writeConfig(sb, {github: forge.github})
    for (const n of [1, 2]) forge.addIssue({owner: 'acme', repo: 'api', number: n, title: `Plan ${n}`, labels: ['ready']})
    const res = await runCli(['headless', '--dry-run', '--label=ready', '--repo', 'acme/api', '--json'], {env})
    expect(res.code, res.stderr).to.equal(0)
    const out: Element[] = JSON.parse(res.stdout)
    expect(out.map((e) => [e.ref, e.outcome, e.plan?.branch])).to.deep.equal([
      ['acme/api#2', 'planned', 'dispatch/issue-2-plan-2'],
      ['acme/api#1', 'planned', 'dispatch/issue-1-plan-1'],
    ])
    expect(existsSync(sb.worktreeRoot)).to.equal(false)
    expect(records(sb)).to.deep.equal([])
  })

  it('a ref list with one malformed ref is a usage error before anything starts', async () => {
    writeConfig(sb, {github: forge.github})
    const res = await runCli(['headless', 'acme/api#1', 'acme/api#0', 'acme/api#2'], {env})
    expect(res.code, res.stderr).to.equal(2)
    expect(res.stderr).to.match(/"acme\/api#0" is not an issue reference: .* Nothing was started\.\nAccepted forms: owner\/repo#N.*Put arguments meant for claude after --/)
    expect(forge.requests).to.have.length(0)
    expect(records(sb)).to.deep.equal([])
  })

  const usage: Array<[string, string[], RegExp]> = [
    ['--label without --repo', ['headless', '--label', 'ready'], /--label needs --repo/],
    ['refs and --label together', ['headless', 'acme/api#1', '--label', 'ready', '--repo', 'acme/api'], /Give issue references or --label, not both/],
    ['--repo without --label', ['headless', 'acme/api#1', '--repo', 'acme/api'], /--repo only goes with --label/],
    ['--limit without --label', ['cascade', 'acme/api#1', 'acme/api#2', '--limit=3'], /--limit only goes with --label/],
    ['a comma in --label', ['headless', '--label', 'a,b', '--repo', 'acme/api'], /--label takes one label, got "a,b"/],
    ['a malformed --repo', ['headless', '--label', 'ready', '--repo', 'acme'], /--repo must be owner\/repo, got "acme"/],
    ['--limit 0', ['headless', '--label', 'ready', '--repo', 'acme/api', '--limit', '0'], /Parsing --limit; Expected an integer greater than or equal to 1/],
    ['neither a ref nor --label', ['headless', '--dry-run'], /Missing 1 required arg: ref .*or --label with --repo/],
  ]
  for (const [what, args, message] of usage) {
    it(`exit 2: ${what}`, async () => {
      writeConfig(sb, {github: forge.github})
      const res = await runCli(args, {env})
      expect(res.code, res.stderr).to.equal(2)
      expect(res.stderr).to.match(message)
      const json = await runCli([...args, '--json'], {env})
      expect(json.code).to.equal(2)
      expect(JSON.parse(json.stdout).error).to.include({code: 'usage', exit_code: 2})
      expect(forge.requests).to.have.length(0)
    })
  }

  it('an owner outside the allow-list in --repo is refused before any request; no open issue with the label is exit 0', async () => {
    writeConfig(sb, {github: forge.github})
    const res = await runCli(['headless', '--label', 'ready', '--repo', 'mallory/api'], {env})
    expect(res.code, res.stderr).to.equal(3)
    expect(res.stderr).to.match(/"mallory" is not in allowedOwners/)
    expect(forge.requests).to.have.length(0)
    forge.addIssue({owner: 'acme', repo: 'api', number: 1, labels: ['later']})
    const none = await runCli(['headless', '--label', 'ready', '--repo', 'acme/api', '--json'], {env})
    expect(none.code, none.stderr).to.equal(0)
    expect(JSON.parse(none.stdout)).to.deep.equal([])
    expect(none.stderr).to.include('no open issues labelled "ready" in acme/api')
  })

  for (const json of [true, false]) {
    it(`Ctrl-C stops starting new ones and reports what was started; exit 130 (${json ? '--json' : 'lines'})`, async () => {
      writeConfig(sb, {github: forge.github})
      for (let n = 1; n <= 4; n++) forge.addIssue({owner: 'acme', repo: 'api', number: n, title: `Step ${n}`})
      // The third issue's fetch hangs, so the signal comes while it is being read.
      forge.script('GET /gh-api/repos/acme/api/issues/3', [{status: 200, delayMs: 20_000}])
      const cli = startCli(['headless', 'acme/api#1', 'acme/api#2', 'acme/api#3', 'acme/api#4', ...(json ? ['--json'] : [])], {env})
      await waitFor('the third fetch', () => forge.requestsTo('/gh-api/repos/acme/api/issues/3').length > 0, 60_000)
      process.kill(cli.pid, 'SIGINT')
      const res = await cli.done
      expect(res.code, res.stderr).to.equal(130)
      if (json) {
        const out: Element[] = JSON.parse(res.stdout)
        expect(out.map((e) => [e.ref, e.outcome])).to.deep.equal([
          ['acme/api#1', 'started'],
          ['acme/api#2', 'started'],
          ['acme/api#3', 'skipped'],
          ['acme/api#4', 'skipped'],
        ])
        expect(out[2].error).to.include({code: 'interrupted'})
      } else {
        expect(res.stdout).to.match(/^started +acme\/api#1 +pid \d+ .*\nstarted +acme\/api#2 +pid \d+ .*\nskipped +acme\/api#3 +Not started: the fan-out was interrupted\.\nskipped +acme\/api#4 /)
        expect(res.stderr).to.include('Started 2 headless workers for 4 issues; 2 not started (interrupted).')
      }
      // Nothing started after the report: only the first two ever had a worker.
      expect(liveRefs(sb)).to.deep.equal(['acme/api#1', 'acme/api#2'])
      expect(forge.requestsTo('/gh-api/repos/acme/api/issues/4')).to.have.length(0)
      expect(auditLines(sb).at(-1)).to.include({command: 'headless', exit_code: 130})
    })
  }

  it('a fan-out from inside a headless worker is refused before the forge is asked', async () => {
    writeConfig(sb, {github: forge.github})
    for (const args of [['headless', '--label', 'ready', '--repo', 'acme/api'], ['headless', 'acme/api#1', 'acme/api#2']]) {
      const res = await runCli(args, {env: {...env, DISPATCH_CASCADE_DEPTH: '0'}})
      expect(res.code, res.stderr).to.equal(3)
      expect(res.stderr).to.match(/headless worker|cascade budget|may not dispatch/i)
    }
    expect(forge.requests).to.have.length(0)
  })
})
