import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {TOPICS, hoistGlobalFlags, normalizeBooleanValues} from '../../../src/cli/argv.js'
import {ROOT} from '../../support/helpers.js'

describe('argv as people type it (src/cli/argv.ts)', () => {
  describe('hoistGlobalFlags', () => {
    const table: Array<[string[], string[]]> = [
      [['--config', 'f.yaml', 'status'], ['status', '--config', 'f.yaml']],
      [['--config=f.yaml', 'status', 'acme/api#1'], ['status', '--config=f.yaml', 'acme/api#1']],
      [['--json', 'status'], ['status', '--json']],
      [['--json', '--config', 'f', 'headless', 'acme/api#1', '--', '--json'], ['headless', '--json', '--config', 'f', 'acme/api#1', '--', '--json']],
      [['sidequests', '--json', 'list'], ['sidequests', 'list', '--json']],
      [['--json', 'sidequests', '--config=f', 'conflicts', 'src'], ['sidequests', 'conflicts', '--json', '--config=f', 'src']],
      [['--json=true', 'status'], ['status', '--json=true']],
      [['--json', 'acme/api#1'], ['acme/api#1', '--json']],
      // Nothing to move, or nothing to move it onto: as typed.
      [['status', '--json'], ['status', '--json']],
      [['headless', 'acme/api#1', '--config', 'f'], ['headless', 'acme/api#1', '--config', 'f']],
      [['--json'], ['--json']],
      [['--config'], ['--config']],
      [['--config', '--json', 'status'], ['--config', '--json', 'status']],
      [['--json', '--version'], ['--json', '--version']],
      [['--all', 'status'], ['--all', 'status']],
      [['--json', '--all', 'status'], ['--json', '--all', 'status']],
      [['sidequests', '--json'], ['sidequests', '--json']],
      [[], []],
    ]
    for (const [argv, expected] of table) {
      it(`${JSON.stringify(argv)} → ${JSON.stringify(expected)}`, () => {
        expect(hoistGlobalFlags(argv)).to.deep.equal(expected)
      })
    }

    it('knows every topic the manifest has', () => {
      const manifest = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>}
      const topics = new Set(Object.keys(manifest.commands).filter((id) => id.includes(':')).map((id) => id.split(':')[0]))
      expect([...topics].filter((t) => !TOPICS.has(t))).to.deep.equal([])
    })
  })

  describe('normalizeBooleanValues', () => {
    const booleans = new Map([['dry-run', false], ['worktree', true], ['json', false]])
    const table: Array<[string[], string[]]> = [
      [['--dry-run=true'], ['--dry-run']],
      [['--dry-run=false', 'x'], ['x']],
      [['--worktree=false'], ['--no-worktree']],
      [['--worktree=true'], ['--worktree']],
      [['--json=true', '--model=x'], ['--json', '--model=x']],
      [['--dry-run', '--', '--dry-run=maybe'], ['--dry-run', '--', '--dry-run=maybe']],
      [['--unknown=true'], ['--unknown=true']],
      // The last one typed wins.
      [['--dry-run', 'x', '--dry-run=false'], ['x']],
      [['--dry-run=false', '--dry-run'], ['--dry-run']],
      [['--no-worktree', '--worktree=true'], ['--no-worktree', '--worktree']],
    ]
    for (const [argv, expected] of table) {
      it(`${JSON.stringify(argv)} → ${JSON.stringify(expected)}`, () => {
        expect(normalizeBooleanValues(argv, booleans, 'See: dispatch headless --help')).to.deep.equal(expected)
      })
    }
    for (const bad of ['--dry-run=maybe', '--worktree=', '--json=TRUE', '--dry-run=1']) {
      it(`${bad}: a usage error naming the flag`, () => {
        expect(() => normalizeBooleanValues([bad], booleans, 'See: dispatch headless --help')).to.throw(/^--(dry-run|worktree|json) takes true or false, got "/).with.property('exitCode', 2)
      })
    }
  })
})
