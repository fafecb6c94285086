// What history keeps of one check run (the result with the status it led to, and a status event
// when that status changed) and of an alert (an event when it fires and when it resolves).
import type { AlertEvent } from '../core/alert-event.js';
import type { CheckResult } from '../core/check-result.js';
import type { CheckState, CheckStatus } from '../state/check-state.js';
import type { HistoryStore } from './history.js';

export function recordRun(history: HistoryStore, result: CheckResult, previous: CheckStatus | undefined, state: CheckState): void {
  const { check, startedAt, durationMs, ok, reason, message } = result;
  history.append({
    check,
    at: startedAt,
    durationMs,
    ok,
    ...(state.status !== undefined && { status: state.status }),
    ...(reason !== undefined && { reason }),
    ...(message !== undefined && { message }),
  });
  if (state.status === undefined || state.status === previous) return;
  history.appendEvent({
    check,
    at: state.statusSince ?? startedAt + durationMs,
    kind: 'status',
    state: state.status,
    ...(message !== undefined && { message }),
    data: { ...(previous !== undefined && { previous }), ...(reason !== undefined && { reason }) },
  });
}

/** An alert firing or resolved, on the timeline of the check it names (if any). */
export function recordAlert(history: HistoryStore, alert: AlertEvent): void {
  history.appendEvent({
    check: alert.labels.check ?? '',
    at: alert.status === 'firing' ? alert.startsAt : (alert.endsAt ?? alert.startsAt),
    kind: 'alert',
    state: alert.status,
    message: alert.labels.alertname ?? '',
    data: { fingerprint: alert.fingerprint, labels: alert.labels, annotations: alert.annotations },
  });
}
