import {createInterface} from 'node:readline/promises'

import {currentCheckout} from '../lib/init.js'
import {originRepo} from '../lib/workspace.js'

/** Ask on the terminal which owners dispatch may work for, offering the current checkout's owner. */
export async function askOwners(cwd: string): Promise<string> {
  const here = await currentCheckout(cwd)
  const suggestion = here.origin ? originRepo(here.origin)?.owner : undefined
  const rl = createInterface({input: process.stdin, output: process.stderr})
  try {
    const answer = await rl.question(`Owners (users or orgs) dispatch may work for, comma-separated${suggestion ? ` [${suggestion}]` : ''}: `)
    return answer.trim() || suggestion || ''
  } finally {
    rl.close()
  }
}
