/** One line of `dispatch doctor`. */
export interface Check {
  name: string
  /** ok: fine; warn: works but worth knowing; fail: dispatch will not work until fixed. */
  status: 'ok' | 'warn' | 'fail'
  detail: string
  fix?: string
}
