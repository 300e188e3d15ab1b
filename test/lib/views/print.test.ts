// src/cli/print.ts lives beside the views it prints; kept here so npm test's globs (test/lib, test/commands) run it.
import {expect} from 'chai'

import {print} from '../../../src/cli/print.js'

/** Records what oclif's log and logToStderr would have been given. */
function recorder() {
  const calls: string[] = []
  return {calls, log: (m = '') => calls.push(`out:${m}`), logToStderr: (m = '') => calls.push(`err:${m}`)}
}

describe('print: a view through oclif log methods', () => {
  const cases: Array<[string, {stdout?: string; stderr?: string}, boolean, string[]]> = [
    ['data, then the tally; one final newline dropped (log adds it back)', {stdout: 'a\nb\n', stderr: 'done\n'}, false, ['out:a\nb', 'err:done']],
    ['status first', {stdout: 'a\n', stderr: '✓ ok\n'}, true, ['err:✓ ok', 'out:a']],
    ['empty streams print nothing', {stdout: '', stderr: ''}, false, []],
    ['a blank line is still printed', {stdout: '\n'}, false, ['out:']],
    ['text without a final newline is kept whole', {stdout: 'x'}, false, ['out:x']],
  ]
  for (const [title, out, statusFirst, want] of cases)
    it(title, () => {
      const r = recorder()
      print(r, out, {statusFirst})
      expect(r.calls).to.deep.equal(want)
    })
})
