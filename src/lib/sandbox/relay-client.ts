// The inside half of the cascade relay (relay.ts): bin/run.js calls this when
// DISPATCH_RELAY_SOCKET is set, i.e. dispatch was run by a sandboxed worker.
// It sends the command line and cwd to the relay outside and plays back what
// comes out. NOTE: node built-ins only; it runs on every relayed command.
import net from 'node:net'

const SIGNAL_CODES: Partial<Record<NodeJS.Signals, number>> = {SIGINT: 130, SIGTERM: 143, SIGHUP: 129}

/** Run `dispatch <argv>` through the relay at `socketPath`; resolves to the exit code. */
export function runRelayed(argv: readonly string[], socketPath: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath)
    let settled = false
    const handlers = new Map<NodeJS.Signals, () => void>()
    const done = (code: number, message?: string): void => {
      if (settled) return
      settled = true
      for (const [signal, handler] of handlers) process.off(signal, handler)
      if (message) process.stderr.write(message + '\n')
      socket.destroy()
      resolve(code)
    }
    // Ctrl-C or a stop of the worker: closing the socket makes the relay stop the command.
    for (const signal of Object.keys(SIGNAL_CODES) as NodeJS.Signals[]) {
      const handler = (): void => done(SIGNAL_CODES[signal]!)
      handlers.set(signal, handler)
      process.on(signal, handler)
    }
    socket.on('connect', () => {
      const session = env.CLAUDE_CODE_SESSION_ID
      let cwd = '/'
      try {
        cwd = process.cwd()
      } catch {} // a directory removed under the worker: the relay runs in the worktree
      socket.write(JSON.stringify({argv, cwd, session: session && /^[\w-]{1,128}$/.test(session) ? session : undefined}) + '\n')
    })
    socket.on('error', (error: NodeJS.ErrnoException) =>
      done(1, `dispatch: this worker is sandboxed and runs dispatch through the relay at ${socketPath}, which does not answer (${error.code ?? error.message}).\nThe dispatch that started this worker may have stopped; ask the operator.`),
    )
    let buffered = ''
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8')
      let nl: number
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        let frame: {t: string; d?: string; code?: number}
        try {
          frame = JSON.parse(line)
        } catch {
          return done(1, 'dispatch: the sandbox relay sent something unreadable.')
        }
        if (frame.t === 'x') return done(typeof frame.code === 'number' ? frame.code : 1)
        const out = frame.t === 'o' ? process.stdout : process.stderr
        if (!out.write(Buffer.from(frame.d ?? '', 'base64'))) {
          socket.pause()
          out.once('drain', () => socket.resume())
        }
      }
    })
    socket.on('close', () => done(1, 'dispatch: the sandbox relay closed the connection before the command finished.'))
  })
}
