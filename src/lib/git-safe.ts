/**
 * How git runs when what it reads may have been written by a worker (SPEC
 * §11: the worktree is hostile input). Every setting git's documentation
 * (git-config(1), githooks(5), gitattributes(5), git(1) ENVIRONMENT, 2.39)
 * lists as starting a program is pinned on git's command line, which wins
 * over every config file, include and per-worktree config; and git never
 * gets the forge tokens or the GIT_* variables that redirect it or run
 * things. All pure, so the tables are tested as tables.
 */

/**
 * `[key, value]` pinned with `-c` on every git call dispatch makes. Each
 * value is one git reads as "off" (checked by test/commands/hostile-worktree).
 */
export const PINNED: ReadonlyArray<readonly [string, string]> = [
  ['core.fsmonitor', 'false'], // a hook command, or the builtin daemon
  ['core.hooksPath', '/dev/null'], // every hook: reference-transaction (branch -D, worktree add/remove), post-checkout, pre-auto-gc, …
  ['core.sshCommand', 'ssh'], // GIT_SSH_COMMAND (set in gitEnv) wins over it anyway
  ['core.gitProxy', ''], // git:// proxy command
  ['core.askPass', ''], // password prompt program; empty = none
  ['core.editor', ':'], // ":" is never run
  ['sequence.editor', ':'],
  ['core.pager', 'cat'], // "cat" is never run; pager.<cmd> loses to GIT_PAGER (gitEnv)
  ['core.alternateRefsCommand', ''], // run on alternates during fetch/push
  ['core.untrackedCache', 'false'], // the index's untracked cache is worker-written
  ['diff.external', ''],
  ['gpg.program', 'false'], // signature checks (log.showSignature, merge --verify-signatures)
  ['gpg.openpgp.program', 'false'],
  ['gpg.x509.program', 'false'],
  ['gpg.ssh.program', 'false'],
  ['gpg.ssh.defaultKeyCommand', ''],
  ['log.showSignature', 'false'],
  ['uploadpack.packObjectsHook', ''],
  // remote.<name>.uploadpack/receivepack: the FIRST value git reads wins (git 2.39 says "more than
  // one uploadpack given, using the first"), so these pins lose to a value in a config file;
  // transportArgs gives fetch and ls-remote --upload-pack, which does win. Kept as a second line.
  ['remote.origin.uploadpack', 'git-upload-pack'], // run locally for a path or file:// origin
  ['remote.origin.receivepack', 'git-receive-pack'],
  ['protocol.ext.allow', 'never'], // ext::<command> URLs (also through url.*.insteadOf)
  ['submodule.recurse', 'false'],
  ['fetch.recurseSubmodules', 'false'],
  ['diff.ignoreSubmodules', 'all'], // status would run git in each submodule, whose own config names its own drivers
  ['safe.bareRepository', 'explicit'], // never discover a bare repository a worker left in a worktree
  ['core.useReplaceRefs', 'false'], // refs/replace is worker-writable: reap must see the real commits
  ['gc.auto', '0'], // no `git gc --auto` / maintenance behind a fetch or worktree add
  ['maintenance.auto', 'false'],
]

/**
 * Pinned too where git may read a worktree's own config (a worktree, or a
 * directory whose `.git` is a pointer file). Not in the main checkout, whose
 * config is the operator's: fetching a private origin needs their helper.
 */
export const WORKTREE_PINNED: ReadonlyArray<readonly [string, string]> = [
  ['credential.helper', ''], // an empty value empties the helper list, credential.<url>.helper included
]

/** Driver kinds a `.gitattributes` line names and the keys that give each a program; all pinned to "no program". */
const DRIVER_KEYS: Record<string, ReadonlyArray<readonly [string, string]>> = {
  filter: [['clean', ''], ['smudge', ''], ['process', ''], ['required', 'false']],
  diff: [['command', ''], ['textconv', ''], ['cachetextconv', 'false']],
  merge: [['driver', '']],
}

/** `git config -z --get-regexp` for the driver sections: what {@link driverPins} reads. */
export const DRIVER_QUERY = ['config', '-z', '--get-regexp', '^(filter|diff|merge)\\.']

/**
 * Pins for every filter, diff and merge driver the config names (the names
 * come from worktree-written `.gitattributes`, so each configured one is
 * switched off). `listing` is `git config -z --get-regexp` output. Pure.
 */
export function driverPins(listing: string): Array<readonly [string, string]> {
  const names = new Map<string, Set<string>>()
  for (const entry of listing.split('\0')) {
    const key = entry.split('\n', 1)[0]
    const first = key.indexOf('.')
    const last = key.lastIndexOf('.')
    if (first < 0 || last <= first) continue
    const kind = key.slice(0, first).toLowerCase()
    if (!(kind in DRIVER_KEYS)) continue
    const name = key.slice(first + 1, last)
    if (!names.has(kind)) names.set(kind, new Set())
    names.get(kind)!.add(name)
  }
  const pins: Array<readonly [string, string]> = []
  for (const [kind, set] of names) for (const name of set) for (const [k, v] of DRIVER_KEYS[kind]) pins.push([`${kind}.${name}.${k}`, v])
  return pins
}

/**
 * Commands that read no worktree file and run no driver: they need only the
 * fixed pins. Anything else (status, worktree add/remove, diff, …) first
 * learns the configured driver names. Pure.
 */
const NO_DRIVERS = new Set(['rev-parse', 'rev-list', 'for-each-ref', 'symbolic-ref', 'show-ref', 'merge-base', 'config', 'remote', 'ls-remote', 'fetch', 'branch', 'reflog'])

export function needsDriverPins(args: readonly string[]): boolean {
  const cmd = args.find((a) => !a.startsWith('-'))
  if (cmd === 'worktree') return !['list', 'prune'].includes(args[args.indexOf(cmd) + 1] ?? '')
  return cmd === undefined || !NO_DRIVERS.has(cmd)
}

/**
 * `args` with `--upload-pack=git-upload-pack` after the subcommand for the
 * commands that talk to a remote's upload-pack (fetch, ls-remote). A config
 * file's `remote.<name>.uploadpack` (the program git runs locally for a path
 * or file:// remote) beats a `-c` pin, since git takes the first value it
 * reads; the option beats both. Dispatch never pushes, so receive-pack has no
 * such caller. Pure.
 */
const UPLOAD_PACK = new Set(['fetch', 'ls-remote'])

export function transportArgs(args: readonly string[]): string[] {
  const at = args.findIndex((a) => !a.startsWith('-'))
  if (at < 0 || !UPLOAD_PACK.has(args[at])) return [...args]
  return [...args.slice(0, at + 1), '--upload-pack=git-upload-pack', ...args.slice(at + 1)]
}

/** `-c key=value` for each pin, in order (a later pin wins). Pure. */
export function pinArgs(pins: ReadonlyArray<readonly [string, string]>): string[] {
  return pins.flatMap(([k, v]) => ['-c', `${k}=${v}`])
}

/** Forge tokens dispatch itself reads: no program git starts gets them. */
export const FORGE_TOKENS = ['GH_TOKEN', 'GITHUB_TOKEN', 'GH_ENTERPRISE_TOKEN', 'GITHUB_ENTERPRISE_TOKEN', 'FORGEJO_TOKEN', 'GITEA_TOKEN']

/**
 * GIT_* variables git children keep: only the config-from-environment pair
 * (`-c` pins still win over them) and identity. Every other GIT_* one either
 * redirects git (GIT_DIR, GIT_WORK_TREE, GIT_COMMON_DIR, GIT_INDEX_FILE,
 * GIT_OBJECT_DIRECTORY, GIT_ALTERNATE_OBJECT_DIRECTORIES, GIT_CONFIG*,
 * GIT_NAMESPACE, GIT_CEILING_DIRECTORIES, …), runs something (GIT_EXEC_PATH,
 * GIT_EXTERNAL_DIFF, GIT_SSH, GIT_ASKPASS, GIT_PROXY_COMMAND, GIT_EDITOR,
 * GIT_TEMPLATE_DIR, …) or writes files (GIT_TRACE*), and is dropped.
 */
const KEEP_GIT = /^GIT_(CONFIG_COUNT|CONFIG_KEY_\d+|CONFIG_VALUE_\d+|AUTHOR_(NAME|EMAIL|DATE)|COMMITTER_(NAME|EMAIL|DATE)|CONFIG_NOSYSTEM)$/

/** Programs git may start through these; pinned to "none" in the env too. */
const PROGRAM_ENV = new Set(['editor', 'visual', 'pager', 'ssh_askpass'])

/**
 * The env git children get: `base` (the operator's, from the composition
 * root) without forge tokens (`secrets` adds the configured tokenEnv), without
 * any GIT_* variable that redirects git or runs something, with prompts off,
 * no pager or editor, BatchMode ssh unless the operator set GIT_SSH_COMMAND,
 * and the C locale. Pure.
 */
export function safeGitEnv(base: NodeJS.ProcessEnv, secrets: readonly string[] = []): NodeJS.ProcessEnv {
  const drop = new Set([...FORGE_TOKENS, ...secrets])
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(base)) {
    if (drop.has(k) || PROGRAM_ENV.has(k.toLowerCase())) continue
    if (/^GIT_/i.test(k) && !KEEP_GIT.test(k)) continue
    env[k] = v
  }
  return {
    ...env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_SSH_COMMAND: base.GIT_SSH_COMMAND || 'ssh -o BatchMode=yes -o ConnectTimeout=10',
    GIT_PAGER: 'cat',
    GIT_EDITOR: ':',
    GIT_SEQUENCE_EDITOR: ':',
    GIT_NO_REPLACE_OBJECTS: '1',
    LC_ALL: 'C',
  }
}
