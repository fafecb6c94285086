// Signals that jobs push to healthmon (POST /ping/<check>[/start|/fail]) for passive checks such
// as heartbeats: the HTTP layer records them, the check's probe reads them. One log per app.

export type PushSignal = 'success' | 'start' | 'fail';

export interface PushState {
  /** Epoch ms of the latest signal of each kind. */
  success?: number;
  start?: number;
  fail?: number;
  last?: PushSignal;
  /** From a start to the success that followed it, for the last run that had both. */
  lastRunMs?: number;
  /** When the check was first looked at: before any ping, the period counts from here. */
  watchedSince: number;
}

export interface PushLog {
  record(check: string, signal: PushSignal, at: number): void;
  /** The check's signals; the first call starts its watch at `now`. */
  state(check: string, now: number): PushState;
}

export function createPushLog(): PushLog {
  const states = new Map<string, PushState>();
  const get = (check: string, now: number) => {
    let s = states.get(check);
    if (!s) states.set(check, (s = { watchedSince: now }));
    return s;
  };
  return {
    record(check, signal, at) {
      const s = get(check, at);
      if (signal === 'success' && s.last === 'start' && s.start !== undefined) s.lastRunMs = at - s.start;
      s[signal] = at;
      s.last = signal;
    },
    state: get,
  };
}
