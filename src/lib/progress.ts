/**
 * One status line on stderr while a slow step runs (the forge answering,
 * origin being fetched, the health window). A port: the CLI passes a
 * terminal one when stderr is a TTY and --json is off, everything else gets
 * `silentProgress`.
 */
export interface Progress {
  /** A step begins; replaces any step still shown. */
  start(label: string): void
  /** Extra detail on the running step, e.g. the seconds waited. */
  status(text: string): void
  /** The step is over; the line goes away. */
  stop(): void
}

export const silentProgress: Progress = {start() {}, status() {}, stop() {}}

/** Run `work` as one step, with the seconds waited as its status once a second has passed. */
export async function timedStep<T>(progress: Progress, label: string, work: Promise<T>): Promise<T> {
  progress.start(label)
  const t0 = Date.now()
  const tick = setInterval(() => progress.status(`${Math.floor((Date.now() - t0) / 1000)}s`), 1000)
  try {
    return await work
  } finally {
    clearInterval(tick)
    progress.stop()
  }
}
