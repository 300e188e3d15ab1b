import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {classifyEnd, usageReset} from '../../../src/lib/watch/ending.js'
import {record} from '../../support/dispatch-facts.js'
import {ROOT, STAND_IN} from '../../support/helpers.js'

/** A whole run of Claude Code 2.1.328 as it wrote its log: init, a tool call, a reply, the result. */
const real = readFileSync(path.join(ROOT, 'test', 'fixtures', 'stream-real-claude-2.1.328.jsonl'), 'utf8').split('\n')

const ev = (o: Record<string, unknown>) => JSON.stringify(o)
const init = ev({type: 'system', subtype: 'init', session_id: 's1', model: 'claude-x'})
const ok = ev({type: 'result', subtype: 'success', is_error: false, result: 'Done.', session_id: 's1', total_cost_usd: 0.1})
const synthetic = (text: string) => ev({type: 'assistant', message: {model: '<synthetic>', role: 'assistant', content: [{type: 'text', text}]}, session_id: 's1'})
const errorResult = (text: string, subtype = 'success') => ev({type: 'result', subtype, is_error: true, result: text, session_id: 's1'})
const ended = {ended_at: '2026-12-04T10:00:00.000Z', exit_code: 0}
const now = new Date('2026-12-04T10:05:00.000Z')

describe('watch: how a run ended (pure)', () => {
  const table: Array<[string, Parameters<typeof record>[0], string[], string, RegExp?]> = [
    ['exit 0 with a success result', ended, [init, ok], 'completed'],
    ["Claude Code 2.1.328's own log of a finished run", ended, real, 'completed'],
    ["the same run's log with the supervisor's lines around it", ended, ['dispatch: started claude', ...real, 'dispatch: claude exited 0'], 'completed'],
    ['the 5-hour limit, as the newer CLI words it', {...ended, exit_code: 1}, [init, synthetic('5-hour limit reached ∙ resets 3pm'), errorResult('5-hour limit reached ∙ resets 3pm')], 'usage-limit', /5-hour limit reached/],
    ['the usage limit on stderr only, the run killed', {...ended, exit_code: null, exit_signal: 'TERM'}, [init, 'Claude AI usage limit reached|1764860400'], 'usage-limit'],
    ['"rate limit reached" from the API is a rate limit, not the plan\'s limit', {...ended, exit_code: 1}, [init, errorResult('API Error: 429 rate limit reached for requests')], 'rate-limit'],
    ['a rate limit known only from the last retry, then exit 1', {...ended, exit_code: 1}, [init, ev({type: 'system', subtype: 'api_retry', error: 'rate_limit', error_status: 429})], 'rate-limit'],
    ['an API error result after success-shaped lines', {...ended, exit_code: 1}, [...real.slice(0, 4), errorResult('API Error: 500 {"type":"error","error":{"type":"api_error","message":"Internal server error"}}')], 'api-error', /API Error: 500/],
    ['stopped by watch for silence', {...ended, watch_stop: 'stalled', stopped: true}, [init], 'stalled'],
    ['stopped by watch: the issue closed', {...ended, watch_stop: 'issue-closed', stopped: true}, [init], 'closed-issue'],
    ['stopped by the operator', {...ended, stopped: true, exit_code: 130}, [init], 'stopped'],
    ['a usage limit with its reset', {...ended, exit_code: 1}, [init, synthetic('Claude AI usage limit reached|1764860400'), errorResult('Claude AI usage limit reached|1764860400')], 'usage-limit'],
    ['a rate limit after retries', {...ended, exit_code: 1}, [init, ev({type: 'system', subtype: 'api_retry', error: 'rate_limit', error_status: 429}), errorResult('API Error: 429 rate limited')], 'rate-limit', /429/],
    ['an overloaded API', {...ended, exit_code: 1}, [init, synthetic('API Error: 529 Overloaded'), errorResult('API Error: 529 Overloaded')], 'api-error', /529/],
    ['an API that never answered, then death', {...ended, exit_code: null, exit_signal: 'KILL'}, [init, ev({type: 'system', subtype: 'api_retry', error: 'unknown', error_status: null})], 'api-error'],
    ['killed by a signal', {...ended, exit_code: 137, exit_signal: 'KILL'}, [init], 'killed', /KILL/],
    ['failed at start', {...ended, exit_code: 1, crashed: true, error: 'exited during its health window'}, [init], 'crashed', /health window/],
    ['a nonzero exit with no result', {...ended, exit_code: 1}, [init, 'stand-in: simulated crash at start'], 'crashed', /exit code 1/],
    ['an error result during execution', {...ended, exit_code: 1}, [init, errorResult('something went wrong', 'error_during_execution')], 'crashed', /error_during_execution/],
    ['no end on record (the supervisor was killed)', {ended_at: null}, [init], 'crashed', /supervisor/],
  ]
  for (const [what, r, lines, kind, detail] of table) {
    it(`${what}: ${kind}`, () => {
      const end = classifyEnd(record(r), lines, now)
      expect(end.kind).to.equal(kind)
      if (detail) expect(end.detail).to.match(detail)
    })
  }

  it('a usage limit names its reset as epoch seconds or a local time', () => {
    const end = classifyEnd(record({...ended, exit_code: 1}), [synthetic('Claude AI usage limit reached|1764860400')], now)
    expect(end.resetAt).to.equal(new Date(1764860400 * 1000).toISOString())
    const after = new Date(2026, 11, 4, 16, 0)
    expect(usageReset('5-hour limit reached ∙ resets 3pm', after)).to.equal(new Date(2026, 11, 5, 15, 0).toISOString())
    expect(usageReset('limit reached, resets at 17:30', after)).to.equal(new Date(2026, 11, 4, 17, 30).toISOString())
    expect(usageReset('usage limit reached', after)).to.equal(undefined)
    expect(usageReset('5-hour limit reached ∙ resets 3:30pm', new Date(2026, 11, 4, 9, 0))).to.equal(new Date(2026, 11, 4, 15, 30).toISOString())
    expect(usageReset('resets 12am', after)).to.equal(new Date(2026, 11, 5, 0, 0).toISOString())
  })

  it('the reset of "resets 3pm" is the next 3pm in local time after the run ended', () => {
    const endedAt = new Date(2026, 11, 4, 16, 30)
    const end = classifyEnd(record({ended_at: endedAt.toISOString(), exit_code: 1}), [init, synthetic('5-hour limit reached ∙ resets 3pm'), errorResult('5-hour limit reached ∙ resets 3pm')], now)
    expect(end).to.deep.equal({kind: 'usage-limit', detail: '5-hour limit reached ∙ resets 3pm', resetAt: new Date(2026, 11, 5, 15, 0).toISOString()})
  })

  it('"rate limit" in a successful run is not a failure', () => {
    expect(classifyEnd(record(ended), [init, ev({type: 'assistant', message: {model: 'claude-x', content: [{type: 'text', text: 'I added a rate limit to the API'}]}}), ok], now).kind).to.equal('completed')
  })
})

describe("watch: how a run ended, over the stand-in claude's own output", function () {
  this.timeout(60_000)
  let dir: string
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'dispatch-ending-'))))
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  /** One headless run of the stand-in, as a worker runs it; its stdout is the log. */
  const run = (env: Record<string, string>, args: string[] = []) => {
    const keep = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STANDIN_')))
    const r = spawnSync(process.execPath, [STAND_IN, '-p', ...args, '--output-format', 'stream-json', '--verbose'], {cwd: dir, input: 'the prompt', encoding: 'utf8', env: {...keep, ...env}})
    const lines = `${r.stderr}\n${r.stdout}`.split('\n')
    const session = lines.map((l) => /"session_id":"([^"]+)"/.exec(l)?.[1]).find(Boolean)
    return {end: classifyEnd(record({ended_at: now.toISOString(), exit_code: r.status, exit_signal: r.signal}), lines, now), session}
  }

  const modes: Array<[Record<string, string>, string, string?]> = [
    [{}, 'completed'],
    [{STANDIN_MODE: 'crash'}, 'crashed'],
    [{STANDIN_MODE: 'rate-limit'}, 'rate-limit'],
    [{STANDIN_MODE: 'api-error'}, 'api-error'],
    [{STANDIN_MODE: 'usage-limit', STANDIN_RESET_AT: '1764860400'}, 'usage-limit', new Date(1764860400 * 1000).toISOString()],
    [{STANDIN_MODE: 'usage-limit', STANDIN_USAGE_TEXT: '5-hour limit reached ∙ resets 3pm'}, 'usage-limit'],
  ]
  for (const [env, kind, resetAt] of modes) {
    it(`${env.STANDIN_MODE ?? 'ok'}${env.STANDIN_USAGE_TEXT ? ' (newer wording)' : ''}: ${kind}`, () => {
      const {end} = run(env)
      expect(end.kind, end.detail).to.equal(kind)
      if (resetAt) expect(end.resetAt).to.equal(resetAt)
      if (env.STANDIN_USAGE_TEXT) expect(end.resetAt).to.be.a('string')
    })
  }

  it('STANDIN_SCRIPT scripts the runs in order (the last one repeats), and a resumed run keeps its session', () => {
    const script = path.join(dir, 'script.json')
    writeFileSync(script, JSON.stringify([{STANDIN_MODE: 'crash'}, {STANDIN_MODE: 'usage-limit'}, {}]))
    const kinds = [0, 1, 2, 3].map(() => run({STANDIN_SCRIPT: script}).end.kind)
    expect(kinds).to.deep.equal(['crashed', 'usage-limit', 'completed', 'completed'])
    expect(readdirSync(dir).filter((f) => f.startsWith('script.json.run-')).length).to.equal(4)
    expect(run({}, ['--resume', 'sess-7']).session).to.equal('sess-7')
  })
})
