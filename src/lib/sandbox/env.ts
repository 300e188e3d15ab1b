/**
 * The environment a sandboxed worker gets: the worker's (workerEnv) minus
 * every credential it does not need. It reaches bwrap through spawn's env,
 * never through argv or a file inside the sandbox. Pure.
 */

/** Families of credentials for other systems: cloud accounts, registries, agents and buses. */
const SECRET_PREFIXES = /^(AWS_|AZURE_|ARM_|GOOGLE_|GCLOUD_|CLOUDSDK_|GCP_|DIGITALOCEAN_|HCLOUD_|OCI_|OP_|VAULT_|TWINE_|DOCKER_|NPM_CONFIG__AUTH|SSH_AUTH_SOCK$|SSH_AGENT_PID$|GPG_AGENT_INFO$|DBUS_SESSION_BUS_ADDRESS$|KUBECONFIG$|XDG_RUNTIME_DIR$)/
/** Names that say they hold a secret. */
const SECRET_NAMES = /(TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?|API_?KEY|PRIVATE_KEY|_AUTH)$/i

/** The model's credentials: the worker cannot work without them. */
const MODEL_KEYS = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN']

/**
 * `env` without the secrets a worker does not need. `keep`: the forge tokens
 * the worker pushes with (none with landing: none, which workerEnv already
 * dropped). Claude on Bedrock or Vertex keeps its cloud's variables.
 */
export function sandboxEnv(env: NodeJS.ProcessEnv, keep: readonly string[]): NodeJS.ProcessEnv {
  const kept = new Set([...MODEL_KEYS, ...keep])
  const bedrock = Boolean(env.CLAUDE_CODE_USE_BEDROCK)
  const vertex = Boolean(env.CLAUDE_CODE_USE_VERTEX)
  const out: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue
    const cloud = (bedrock && name.startsWith('AWS_')) || (vertex && (name.startsWith('GOOGLE_') || name.startsWith('CLOUD_ML_')))
    if (!kept.has(name) && !cloud && (SECRET_PREFIXES.test(name) || SECRET_NAMES.test(name))) continue
    out[name] = value
  }
  return out
}

/**
 * git settings for the sandbox, as GIT_CONFIG_* variables (the operator's
 * ~/.gitconfig is hidden): who commits, and a credential helper that answers
 * with the forge token from the environment, so `git push` over https works
 * without any file holding the token. Appended after settings already in
 * `env`. Pure.
 */
export function gitSettingsEnv(env: NodeJS.ProcessEnv, identity: {name?: string; email?: string}, tokenEnv?: string): NodeJS.ProcessEnv {
  const pairs: Array<[string, string]> = []
  if (identity.name && !env.GIT_AUTHOR_NAME) pairs.push(['user.name', identity.name])
  if (identity.email && !env.GIT_AUTHOR_EMAIL) pairs.push(['user.email', identity.email])
  if (tokenEnv) pairs.push(['credential.helper', `!f() { test "$1" = get && echo username=x-access-token && echo "password=$${tokenEnv}"; }; f`])
  const start = Number(env.GIT_CONFIG_COUNT ?? 0) || 0
  const out: NodeJS.ProcessEnv = {GIT_CONFIG_COUNT: String(start + pairs.length)}
  pairs.forEach(([key, value], i) => {
    out[`GIT_CONFIG_KEY_${start + i}`] = key
    out[`GIT_CONFIG_VALUE_${start + i}`] = value
  })
  return pairs.length > 0 ? out : {}
}
