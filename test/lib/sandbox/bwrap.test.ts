import {expect} from 'chai'

import {bwrapArgs, SANDBOX_RUN_DIR, type SandboxLayout} from '../../../src/lib/sandbox/bwrap.js'
import {claudeProjectSlug, installDir} from '../../../src/lib/sandbox/layout.js'
import {sandboxEnv, gitSettingsEnv} from '../../../src/lib/sandbox/env.js'
import {sandboxedClaudeConfig} from '../../../src/lib/sandbox/launch.js'

const layout: SandboxLayout = {
  hide: ['/home/op', '/home/op/.local/share/dispatch/worktrees', '/home/op/src', '/home/op/.local/state/dispatch'],
  readable: ['/home/op/.local/bin', '/home/op/.nvm/versions/node/v20'],
  worktree: '/home/op/.local/share/dispatch/worktrees/acme/api/issue-1-x',
  git: {commonDir: '/home/op/src/acme/api/.git', adminDir: '/home/op/src/acme/api/.git/worktrees/issue-1-x', hasPackedRefs: true},
  claude: {configDir: '/home/op/.claude', projectDir: '/home/op/.claude/projects/-wt', configFile: {copy: '/state/sandbox/w-1/claude.json', path: '/home/op/.claude.json'}},
  servicesDir: '/state/sandbox/w-1/run',
  writable: ['/home/op/.cache/pip'],
}

/** The mounts as [flag, source, dest] (or [flag, dest]) in argv order. */
function mounts(args: string[]): string[][] {
  const out: string[][] = []
  for (let i = 0; i < args.length && args[i] !== '--'; i++) {
    const a = args[i]
    if (['--ro-bind', '--bind', '--ro-bind-try', '--bind-try'].includes(a)) out.push([a, args[++i], args[++i]])
    else if (['--tmpfs', '--proc', '--dev'].includes(a)) out.push([a, args[++i]])
  }
  return out
}

const at = (args: string[], m: string[]) => mounts(args).findIndex((x) => x.join(' ') === m.join(' '))

describe('bwrapArgs (the sandbox command line)', () => {
  const args = bwrapArgs(layout, ['node', 'bridge.js', '--', 'claude', '-p'])

  it('unshares every namespace (PID and network included), dies with its parent, drops capabilities', () => {
    for (const flag of ['--unshare-all', '--die-with-parent']) expect(args).to.include(flag)
    expect(args.slice(args.indexOf('--cap-drop'), args.indexOf('--cap-drop') + 2)).to.deep.equal(['--cap-drop', 'ALL'])
    expect(args).not.to.include('--share-net')
  })

  it('the host read-only first, then a fresh /proc and /dev, a private /tmp and /run', () => {
    expect(mounts(args).slice(0, 5)).to.deep.equal([['--ro-bind', '/', '/'], ['--dev', '/dev'], ['--proc', '/proc'], ['--tmpfs', '/tmp'], ['--tmpfs', '/run']])
  })

  const table: Array<[string, string[], string[]]> = [
    // [what, earlier mount, later mount]: bubblewrap stacks later mounts on earlier ones.
    ['home hidden before the worktree is put back', ['--tmpfs', '/home/op'], ['--bind', layout.worktree, layout.worktree]],
    ['worktree root hidden before the worktree is put back', ['--tmpfs', '/home/op/.local/share/dispatch/worktrees'], ['--bind', layout.worktree, layout.worktree]],
    ['workspace hidden before the git dir is put back', ['--tmpfs', '/home/op/src'], ['--ro-bind', '/home/op/src/acme/api/.git', '/home/op/src/acme/api/.git']],
    ['the git dir read-only (config, hooks) before objects rw', ['--ro-bind', '/home/op/src/acme/api/.git', '/home/op/src/acme/api/.git'], ['--bind', '/home/op/src/acme/api/.git/objects', '/home/op/src/acme/api/.git/objects']],
    ['refs rw after the git dir', ['--ro-bind', '/home/op/src/acme/api/.git', '/home/op/src/acme/api/.git'], ['--bind', '/home/op/src/acme/api/.git/refs', '/home/op/src/acme/api/.git/refs']],
    ['logs rw after the git dir', ['--ro-bind', '/home/op/src/acme/api/.git', '/home/op/src/acme/api/.git'], ['--bind', '/home/op/src/acme/api/.git/logs', '/home/op/src/acme/api/.git/logs']],
    ['packed-refs rw after the git dir', ['--ro-bind', '/home/op/src/acme/api/.git', '/home/op/src/acme/api/.git'], ['--bind', '/home/op/src/acme/api/.git/packed-refs', '/home/op/src/acme/api/.git/packed-refs']],
    ['the admin dir rw after the git dir', ['--ro-bind', '/home/op/src/acme/api/.git', '/home/op/src/acme/api/.git'], ['--bind', layout.git!.adminDir!, layout.git!.adminDir!]],
    ['the git dir after the worktree (with --no-worktree it is inside it)', ['--bind', layout.worktree, layout.worktree], ['--ro-bind', '/home/op/src/acme/api/.git', '/home/op/src/acme/api/.git']],
    ['programs readable over the hidden home', ['--tmpfs', '/home/op'], ['--ro-bind-try', '/home/op/.nvm/versions/node/v20', '/home/op/.nvm/versions/node/v20']],
    ['Claude config hidden, then its settings read-only', ['--tmpfs', '/home/op/.claude'], ['--ro-bind-try', '/home/op/.claude/settings.json', '/home/op/.claude/settings.json']],
    ['Claude credentials read-only', ['--tmpfs', '/home/op/.claude'], ['--ro-bind-try', '/home/op/.claude/.credentials.json', '/home/op/.claude/.credentials.json']],
    ['this project transcripts rw', ['--tmpfs', '/home/op/.claude'], ['--bind', '/home/op/.claude/projects/-wt', '/home/op/.claude/projects/-wt']],
    ['the private copy of .claude.json', ['--tmpfs', '/home/op'], ['--bind', '/state/sandbox/w-1/claude.json', '/home/op/.claude.json']],
    ['the services read-only at /run/dispatch', ['--tmpfs', '/run'], ['--ro-bind', '/state/sandbox/w-1/run', SANDBOX_RUN_DIR]],
    ['allowWrite last of all', ['--ro-bind', '/state/sandbox/w-1/run', SANDBOX_RUN_DIR], ['--bind-try', '/home/op/.cache/pip', '/home/op/.cache/pip']],
    ['a nested hidden dir after its parent', ['--tmpfs', '/home/op'], ['--tmpfs', '/home/op/.local/state/dispatch']],
  ]
  for (const [what, earlier, later] of table) {
    it(what, () => {
      const a = at(args, earlier)
      const b = at(args, later)
      expect(a, earlier.join(' ')).to.be.at.least(0)
      expect(b, later.join(' ')).to.be.greaterThan(a)
    })
  }

  it('no .git bind without a git dir; no packed-refs bind when there is none; the admin dir only for a worktree', () => {
    const bare = mounts(bwrapArgs({...layout, git: undefined}, ['x'])).map((m) => m.at(-1))
    expect(bare.filter((d) => d?.includes('.git'))).to.deep.equal([])
    const inPlace = mounts(bwrapArgs({...layout, git: {commonDir: '/c/.git', hasPackedRefs: false}}, ['x'])).map((m) => m.at(-1))
    expect(inPlace).to.include('/c/.git/objects').and.not.include('/c/.git/packed-refs')
  })

  it('ends with --chdir <worktree> -- and the command; nothing of the environment in argv', () => {
    const i = args.indexOf('--')
    expect(args.slice(i - 2)).to.deep.equal(['--chdir', layout.worktree, '--', 'node', 'bridge.js', '--', 'claude', '-p'])
    expect(args).not.to.include('--setenv')
  })
})

describe('sandbox helpers (pure)', () => {
  it('claudeProjectSlug: Claude Code\'s project directory name', () => {
    expect(claudeProjectSlug('/home/op/.local/share/dispatch/worktrees/acme/api/issue-1-x')).to.equal('-home-op--local-share-dispatch-worktrees-acme-api-issue-1-x')
  })

  it('installDir: a package inside node_modules whole, else the directory', () => {
    expect(installDir('/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js')).to.equal('/usr/lib/node_modules/@anthropic-ai/claude-code')
    expect(installDir('/x/node_modules/pkg/bin/run.js')).to.equal('/x/node_modules/pkg')
    expect(installDir('/home/op/.local/share/claude/versions/2.1.0')).to.equal('/home/op/.local/share/claude/versions')
  })

  const envTable: Array<[string, NodeJS.ProcessEnv, string[], string[]]> = [
    ['cloud and registry credentials go', {AWS_SECRET_ACCESS_KEY: 's', AWS_PROFILE: 'p', GOOGLE_APPLICATION_CREDENTIALS: '/k', NPM_TOKEN: 't', DOCKER_AUTH_CONFIG: 'x', PATH: '/bin'}, [], ['PATH']],
    ['agents and buses go', {SSH_AUTH_SOCK: '/s', GPG_AGENT_INFO: 'g', DBUS_SESSION_BUS_ADDRESS: 'd', HOME: '/h'}, [], ['HOME']],
    ['names that say secret go', {MY_SERVICE_PASSWORD: 'p', SOME_API_KEY: 'k', DB_SECRET: 's', GH_TOKEN: 't'}, [], []],
    ['the model key and the kept forge token stay', {ANTHROPIC_API_KEY: 'k', CLAUDE_CODE_OAUTH_TOKEN: 'o', GH_TOKEN: 't', GITHUB_TOKEN: 'u'}, ['GH_TOKEN'], ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN', 'GH_TOKEN']],
    ['Bedrock keeps AWS', {CLAUDE_CODE_USE_BEDROCK: '1', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's'}, [], ['CLAUDE_CODE_USE_BEDROCK', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']],
  ]
  for (const [what, env, keep, want] of envTable) {
    it(`sandboxEnv: ${what}`, () => expect(Object.keys(sandboxEnv(env, keep)).sort()).to.deep.equal([...want].sort()))
  }

  it('gitSettingsEnv: identity and a credential helper reading the token from the environment, after settings already there', () => {
    const out = gitSettingsEnv({GIT_CONFIG_COUNT: '1'}, {name: 'Op', email: 'op@example.org'}, 'GH_TOKEN')
    expect(out).to.deep.include({GIT_CONFIG_COUNT: '4', GIT_CONFIG_KEY_1: 'user.name', GIT_CONFIG_VALUE_1: 'Op', GIT_CONFIG_KEY_2: 'user.email', GIT_CONFIG_KEY_3: 'credential.helper'})
    expect(out.GIT_CONFIG_VALUE_3).to.include('$GH_TOKEN').and.not.include('ghp_')
    expect(gitSettingsEnv({GIT_AUTHOR_NAME: 'x', GIT_AUTHOR_EMAIL: 'y'}, {name: 'Op', email: 'e'})).to.deep.equal({})
  })

  it('sandboxedClaudeConfig keeps the settings and only this worktree of projects', () => {
    const text = JSON.stringify({oauthAccount: {a: 1}, mcpServers: {m: {}}, projects: {'/wt': {hasTrustDialogAccepted: true}, '/home/op/src/secret': {mcpServers: {x: {command: 'evil'}}}}})
    expect(JSON.parse(sandboxedClaudeConfig(text, '/wt'))).to.deep.equal({oauthAccount: {a: 1}, mcpServers: {m: {}}, projects: {'/wt': {hasTrustDialogAccepted: true}}})
    expect(JSON.parse(sandboxedClaudeConfig('not json', '/wt'))).to.deep.equal({projects: {}})
    expect(JSON.parse(sandboxedClaudeConfig(undefined, '/wt'))).to.deep.equal({projects: {}})
  })
})
