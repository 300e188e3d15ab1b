/**
 * Claims: the paths a worker declared it will edit. A claim is a path inside
 * a repository, stored as the repository (`owner/repo`) plus a path relative
 * to its root, so it means the same from the main checkout, from any
 * worktree of it, and from an absolute path into either (SPEC §10).
 */
export {canonicalDir, canonicalPath, claimOverlap, relativeOverlap, repoOfRef, sameRepo, type ConflictReason} from './paths.js'
export {RootIndex, locate, repoRoots, type ClaimTarget, type RepoRoot} from './roots.js'
export {locateTargets, resolveClaims, splitClaims} from './targets.js'
