// The fake forge's view of a real git repository a test attached to it
// (forge.attachGit): what a branch points at, whether it has commits the base
// lacks, and landing a merged pull request on its base. Plain JavaScript, like
// fake-forge.mjs.
//
// NOTE: branch names come from requests (a worker's POST /pulls); they only
// ever reach git fully qualified (refs/heads/<name>), so none can pass for an option.
import {execFile, execFileSync} from 'node:child_process'
import {promisify} from 'node:util'

const run = promisify(execFile)

const env = () => ({
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Fake Forge',
  GIT_AUTHOR_EMAIL: 'forge@example.invalid',
  GIT_COMMITTER_NAME: 'Fake Forge',
  GIT_COMMITTER_EMAIL: 'forge@example.invalid',
})

/** A branch name git would accept: no option look-alikes, no ref tricks. */
export function plausibleBranch(name) {
  return typeof name === 'string' && name !== '' && !name.startsWith('-') && !/\.\.|[\s~^:?*[\\]|@\{|\.lock$|\/$|^\//.test(name)
}

/** The commit `branch` points at in the bare repository `bare`, or null when there is no such branch. */
export async function branchSha(bare, branch) {
  if (!plausibleBranch(branch)) return null
  try {
    const {stdout} = await run('git', ['--git-dir', bare, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`], {env: env()})
    return stdout.trim() || null
  } catch {
    return null
  }
}

/** `ancestor` is reachable from `commit` (so a pull request from `ancestor` onto `commit` would have no commits). */
export async function isAncestor(bare, ancestor, commit) {
  try {
    await run('git', ['--git-dir', bare, 'merge-base', '--is-ancestor', ancestor, commit], {env: env()})
    return true
  } catch {
    return false
  }
}

const gitSync = (bare, ...args) => execFileSync('git', ['--git-dir', bare, ...args], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: env()}).trim()

/** Synchronously, for the test-side helpers: the commit `branch` points at, or null. */
export function branchShaSync(bare, branch) {
  if (!plausibleBranch(branch)) return null
  try {
    return gitSync(bare, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`) || null
  } catch {
    return null
  }
}

/**
 * Land `head` on branch `base` as the forge's merge button does: a fast-forward
 * when the base has not moved, else a merge commit (git merge-tree, so no work
 * tree is needed). Throws on a conflict. Returns the base's new commit.
 */
export function landSync(bare, base, head, message) {
  const baseSha = branchShaSync(bare, base)
  if (!baseSha) throw new Error(`fake forge: ${bare} has no branch ${base} to merge into`)
  let sha = head
  try {
    gitSync(bare, 'merge-base', '--is-ancestor', baseSha, head)
  } catch {
    let tree
    try {
      tree = gitSync(bare, 'merge-tree', '--write-tree', baseSha, head).split('\n')[0]
    } catch (error) {
      throw new Error(`fake forge: ${head.slice(0, 12)} does not merge cleanly into ${base} of ${bare}: ${error.stdout ?? error.message}`)
    }
    sha = gitSync(bare, 'commit-tree', tree, '-p', baseSha, '-p', head, '-m', message)
  }
  gitSync(bare, 'update-ref', `refs/heads/${base}`, sha, baseSha)
  return sha
}
