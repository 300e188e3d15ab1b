/**
 * Ctrl-C and SIGTERM during a fan-out: the issue being dispatched is
 * interrupted as a single dispatch would be (src/lib/interrupt.ts: undone
 * before its worker exists, reported once it runs), no further issue is
 * started, and the fan-out reports what it started.
 */
import {StartGuard} from '../interrupt.js'

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']

export class FanoutGuard {
  /** The first signal received, once one was. */
  signal?: NodeJS.Signals
  /** Resolves with the first signal; never rejects. */
  readonly interrupted: Promise<NodeJS.Signals>
  private resolve!: (signal: NodeJS.Signals) => void
  private current?: StartGuard

  constructor() {
    this.interrupted = new Promise((resolve) => {
      this.resolve = resolve
    })
  }

  /** A guard for the next issue's dispatch; a signal goes to it until `end`. */
  begin(): StartGuard {
    this.current = new StartGuard()
    return this.current
  }

  end(): void {
    this.current = undefined
  }

  interrupt(signal: NodeJS.Signals): void {
    this.signal ??= signal
    this.resolve(signal)
    this.current?.interrupt(signal)
  }

  /** Run the fan-out with SIGINT and SIGTERM turned into `interrupt`; the handlers go when it settles. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const handler = (signal: NodeJS.Signals) => this.interrupt(signal)
    for (const s of SIGNALS) process.on(s, handler)
    try {
      return await work()
    } finally {
      for (const s of SIGNALS) process.off(s, handler)
    }
  }
}
