/** `init`: what was written and what to do next. Pure. */
import type {InitResult} from '../init.js'

import type {Rendered} from './facts.js'

export function renderInit(result: InitResult, examplePath: string): Rendered {
  return {
    stdout: [
      `allowedOwners  ${result.allowedOwners.join(', ')}`,
      `workspace      ${result.workspace.root}/${result.workspace.layout}${result.workspace_from === 'default' ? ' (a guess: edit workspace.root if your checkouts live elsewhere)' : ''}`,
      ...(result.github ? [`github         ${result.github.webUrl} (Enterprise; API ${result.github.apiUrl})`] : []),
      ...(result.forgejo ? [`forgejo        ${result.forgejo.baseUrl} (token from FORGEJO_TOKEN)`] : []),
      `every key      ${examplePath}`,
      'next           dispatch doctor',
    ].join('\n') + '\n',
    stderr: `✓ Wrote ${result.file}\n`,
  }
}
