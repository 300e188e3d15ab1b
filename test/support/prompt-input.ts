/** The prompt input the prompt tests render: an issue whose title and body hold shell and template syntax. */
import type {PromptInput} from '../../src/lib/prompt/types.js'

export const issue = {forge: 'github' as const, owner: 'acme', repo: 'api', number: 12, title: 'Fix "login" $HOME `x`', body: 'Body with ``` fence and {{branch}}', url: 'https://github.com/acme/api/issues/12', apiUrl: 'https://api.github.com/repos/acme/api/issues/12'}
export const base: PromptInput = {kind: 'headless', issue, cwd: '/wt/acme/api/issue-12-fix', branch: 'dispatch/issue-12-fix', defaultBranch: 'trunk', landing: 'pr', depth: 0, dispatchCommand: '/usr/bin/node /opt/dispatch/bin/run.js'}
