/**
 * The issue's own worktree (SPEC §4): read.ts asks git, decide.ts picks the
 * worktree and branch (pure), apply.ts makes it, lock.ts keeps concurrent
 * dispatches and reaps from tripping over each other.
 */
export {applyWorktree, fetchOrigin} from './apply.js'
export {decideWorktree, type WorktreePlan, type WorktreeRequest} from './decide.js'
export {retryOnLock, withWorktreeLock} from './lock.js'
export {defaultBranch, hasOrigin, listWorktrees, parseWorktreeList, readBranchFacts, type BranchFacts} from './read.js'
