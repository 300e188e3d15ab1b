/**
 * The bubblewrap command line that confines one worker (issue #20). Pure:
 * every path it binds comes in the layout, worked out by layout.ts.
 *
 * The order is the design: bubblewrap applies mounts in argv order, a later
 * one on top of an earlier one. So: the host read-only, then empty tmpfs over
 * every directory the worker must not see (home, workspace, worktrees, state),
 * then the few things it may read put back read-only, then its worktree
 * read-write, then the git data it commits into, the Claude config it needs,
 * the sockets of its proxy, and last the operator's own allowWrite.
 */

/** Where the sockets of the sandbox's services (proxy, cascade relay) appear inside the sandbox. */
export const SANDBOX_RUN_DIR = '/run/dispatch'

/** Files and directories of Claude's config dir a session reads but must not change (they hold hooks, MCP servers and commands that run unsandboxed later). */
export const CLAUDE_READ_ONLY = ['settings.json', 'CLAUDE.md', 'agents', 'commands', 'skills', 'output-styles', 'plugins', 'hooks', '.credentials.json']

export interface SandboxLayout {
  /** Directories whose contents the worker must not see: each becomes an empty, private tmpfs. */
  hide: string[]
  /** Put back read-only over what `hide` covered: claude's and node's install, dispatch itself, sandbox.allowRead. */
  readable: string[]
  /** The worker's worktree (or, with --no-worktree, the checkout): read-write, and the working directory. */
  worktree: string
  /** The repository's git directory and, for a worktree, its admin directory under `<common>/worktrees/`. */
  git?: {commonDir: string; adminDir?: string; hasPackedRefs: boolean}
  claude: {
    /** CLAUDE_CONFIG_DIR, else ~/.claude: hidden, with CLAUDE_READ_ONLY put back read-only. */
    configDir: string
    /** Its projects/<worktree> directory: the session transcripts `attach` resumes, read-write. */
    projectDir: string
    /** Claude's config file (~/.claude.json), as a private copy that dispatch made: `copy` is bound at `path`. */
    configFile?: {copy: string; path: string}
  }
  /** The directory holding the proxy's and relay's sockets, outside. */
  servicesDir: string
  /** sandbox.allowWrite: read-write, applied last. */
  writable: string[]
}

/** Parents before children, so a nested tmpfs is not covered by its parent's. */
function byDepth(paths: readonly string[]): string[] {
  return [...new Set(paths)].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b))
}

/**
 * bwrap's argv (without `bwrap` itself) running `command` confined by `layout`.
 * The environment goes to bwrap through spawn's env, never in this argv
 * (/proc/<pid>/cmdline is readable by every local user).
 */
export function bwrapArgs(layout: SandboxLayout, command: readonly string[]): string[] {
  const args = [
    // Its own user, PID, network, IPC, UTS and cgroup namespaces: no other process is visible
    // or signalable and the only way out is the proxy's socket.
    '--unshare-all',
    '--die-with-parent',
    '--cap-drop',
    'ALL',
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    // Private /tmp; /run holds the host's sockets (docker, the user's bus and agents), which
    // a read-only mount does not stop anyone from connecting to.
    '--tmpfs',
    '/tmp',
    '--tmpfs',
    '/run',
  ]
  for (const dir of byDepth([...layout.hide, layout.claude.configDir])) args.push('--tmpfs', dir)
  for (const p of byDepth(layout.readable)) args.push('--ro-bind-try', p, p)
  for (const name of CLAUDE_READ_ONLY) {
    const p = `${layout.claude.configDir}/${name}`
    args.push('--ro-bind-try', p, p)
  }
  args.push('--bind', layout.claude.projectDir, layout.claude.projectDir)
  if (layout.claude.configFile) args.push('--bind', layout.claude.configFile.copy, layout.claude.configFile.path)
  args.push('--bind', layout.worktree, layout.worktree)
  const git = layout.git
  if (git) {
    // The repository's own config and hooks stay read-only (with --no-worktree they sit inside the worktree
    // bound above); what a commit writes is put back read-write.
    args.push('--ro-bind', git.commonDir, git.commonDir)
    for (const sub of ['objects', 'refs', 'logs']) args.push('--bind', `${git.commonDir}/${sub}`, `${git.commonDir}/${sub}`)
    if (git.hasPackedRefs) args.push('--bind', `${git.commonDir}/packed-refs`, `${git.commonDir}/packed-refs`)
    if (git.adminDir) args.push('--bind', git.adminDir, git.adminDir)
  }
  args.push('--ro-bind', layout.servicesDir, SANDBOX_RUN_DIR)
  for (const p of byDepth(layout.writable)) args.push('--bind-try', p, p)
  args.push('--chdir', layout.worktree, '--', ...command)
  return args
}
