/** Facts the pure parts of a dispatch (plan, admit, worker env) are tested against: one config, one issue, records. */
import {validateConfig} from '../../src/lib/config/index.js'
import {SCHEMA_VERSION, type SidequestRecord} from '../../src/lib/registry/index.js'

export const config = validateConfig({allowedOwners: ['acme'], worktreeRoot: '/wt', forgejo: {baseUrl: 'https://fj.example', tokenEnv: 'CODEBERG_PAT'}}, 'test', {HOME: '/home/me'})
export const issue = {forge: 'github' as const, owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug', body: 'It breaks.', state: 'open', url: 'https://github.com/acme/api/issues/12', apiUrl: 'https://api.github.com/repos/acme/api/issues/12', isPullRequest: false, webBase: 'https://github.com', input: 'acme/api#12', ref: 'acme/api#12'}

/** An active worker's record on acme/api#7; `o` overrides any field. */
export function record(o: Partial<SidequestRecord>): SidequestRecord {
  return {schema_version: SCHEMA_VERSION, pid: 4242, pid_start_time: null, mode: 'headless', ref: 'acme/api#7', forge: 'github', url: 'u', title: 't', started_at: '2026-01-01T00:00:00.000Z', parent_session: null, paths_claimed: [], repo: 'acme/api', cwd: '/wt/acme/api/issue-7-x', branch: 'dispatch/issue-7-x', log_path: null, cascade_depth: 0, claude_session_id: null, checkout: '/ws/acme/api', ...o}
}
