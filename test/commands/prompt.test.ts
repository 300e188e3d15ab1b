// How the prompt reaches claude, through the real binary: issue text only
// inside the fenced data block, and the prompt in no process's argv.
import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {isAlive, makeRepo, runCli, waitFor, writeConfig} from '../support/helpers.js'
import * as state from '../support/state.js'
import {HOSTILE, INVISIBLE_CHAR, PAYLOAD, splitAtDataBlock} from '../support/hostile.js'

interface StandIn {
  argv: string[]
  pid: number
  stdin: string | null
}

/** What every local user can read about a process. */
function cmdline(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
}

describe('the prompt (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({hold: true})
  let {forge, sb, env} = t

  const records = () => state.records(sb)
  const standIns = (): StandIn[] => state.standIns(sb)

  beforeEach(() => {
    ;({forge, sb, env} = t)
    makeRepo(sb, 'acme', 'api')
    forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'Rotate the TITLE-MARKER keys', body: 'BODY-MARKER: rotate them all.'})
    HOSTILE.forEach((h, i) => forge.addIssue({owner: 'acme', repo: 'api', number: 40 + i, title: h.title, body: h.body}))
  })

  for (const [i, h] of HOSTILE.entries()) {
    it(`--dry-run keeps ${h.what} inside the fenced data block, and prints it inert`, async () => {
      const json = await runCli(['headless', `acme/api#${40 + i}`, '--dry-run', '--json'], {env})
      expect(json.code, json.stderr).to.equal(0)
      const dry = JSON.parse(json.stdout)
      const {outside, inside} = splitAtDataBlock(dry.prompt)
      expect(outside).not.to.match(PAYLOAD)
      expect(outside.split('\n')[0]).to.equal(`You are working unattended on acme/api#${40 + i} (${forge.github.webUrl}/acme/api/issues/${40 + i}).`)
      expect(inside).to.match(/^title: "/)
      expect(dry.prompt).not.to.match(INVISIBLE_CHAR)
      expect(dry.claude.args.join(' ')).not.to.match(PAYLOAD)
      expect(dry.claude.stdin).to.equal('prompt')

      const human = await runCli(['headless', '--dry-run', `acme/api#${40 + i}`], {env})
      expect(human.code, human.stderr).to.equal(0)
      expect(human.stdout).not.to.match(INVISIBLE_CHAR)
      expect(human.stdout).to.match(/^Command: .* <prompt on stdin>$/m)
      expect(/^Command: .*$/m.exec(human.stdout)![0]).not.to.match(PAYLOAD)
    })
  }

  it('keeps the prompt and the title out of the worker\'s and the supervisor\'s argv while they run', async () => {
    const res = await runCli(['headless', 'acme/api#12', '--json'], {env})
    expect(res.code, res.stderr).to.equal(0)
    const out = JSON.parse(res.stdout)
    const record = records().find((r) => r.pid === out.pid)!
    expect(isAlive(record.pid) && isAlive(record.supervisor_pid), 'worker and supervisor still running').to.equal(true)
    for (const pid of [record.pid, record.supervisor_pid]) {
      expect(cmdline(pid)).not.to.match(/TITLE-MARKER|BODY-MARKER|issue tracker/)
    }
    // claude got the whole prompt on stdin instead.
    const [standIn] = standIns()
    expect(standIn.stdin).to.equal(JSON.parse((await runCli(['headless', 'acme/api#12', '--dry-run', '--json'], {env})).stdout).prompt)
    expect(standIn.stdin).to.include('title: "Rotate the TITLE-MARKER keys"').and.include('BODY-MARKER: rotate them all.')
  })

  it('dispatches an issue with a 1 MB body and a 200 KB title (no E2BIG)', async () => {
    forge.addIssue({owner: 'acme', repo: 'api', number: 60, title: `Huge ${'T'.repeat(200 * 1024)}`, body: `Start ${'b'.repeat(1024 * 1024)} END-OF-BODY`})
    const res = await runCli(['headless', 'acme/api#60', '--json'], {env, timeoutMs: 60_000})
    expect(res.code, res.stderr).to.equal(0)
    const standIn = await waitFor('stand-in', () => standIns()[0])
    expect(standIn.stdin).to.match(/title: "Huge T+" \(\d+ more bytes cut\)/)
    expect(standIn.stdin).to.match(/\[\d+ more bytes of the description were cut; read the full issue at /)
    expect(standIn.stdin).not.to.include('END-OF-BODY')
    expect(standIn.argv.join(' ').length).to.be.below(1024)
  })

  it('interactive: the session spec is 0600 and gone once read; neither the runner nor claude has the prompt in argv', async () => {
    const modeFile = path.join(sb.dir, 'spec-mode')
    // The launcher looks at the spec file (the runner's last argument) before starting the runner.
    writeConfig(sb, {github: forge.github}, {interactive: {command: `sh -c 'for a in "$@"; do f=$a; done; stat -c %a "$f" > "$0"; ( "$@" ) >/dev/null 2>&1 &' ${modeFile} {argv}`}})
    const res = await runCli(['interactive', 'acme/api#12', '--surface', 'command', '--json'], {env})
    expect(res.code, res.stderr).to.equal(0)
    const record = await waitFor('the session record', () => records()[0])
    expect(readFileSync(modeFile, 'utf8').trim()).to.equal('600')
    expect(readdirSync(path.join(sb.stateDir, 'sessions'))).to.deep.equal([])
    for (const pid of [record.pid, record.supervisor_pid]) {
      expect(cmdline(pid)).not.to.match(/TITLE-MARKER|BODY-MARKER|issue tracker/)
    }
    const [standIn] = await waitFor('stand-in', () => standIns().length > 0 && standIns())
    expect(standIn.stdin).to.include('BODY-MARKER: rotate them all.')
  })
})
