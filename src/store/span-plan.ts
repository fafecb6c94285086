// How spans are read: whole UTC days from daily rollups, whole hours from hourly ones, and the
// partial hours at the edges from raw results. Each piece lies inside one of the given spans.
import type { Resolution, Span } from './history.js';
import { RESOLUTION_MS } from './periods.js';

/** Pieces of each source, in time order; adjacent pieces of one source are joined. */
export type SpanPlan = Record<Resolution | 'raw', Span[]>;

/** Plans spans given in time order, none overlapping (the steps of a series, or one span). */
export function planSpans(spans: Iterable<Span>): SpanPlan {
  const plan: SpanPlan = { raw: [], hour: [], day: [] };
  const add = (source: keyof SpanPlan, since: number, until: number) => {
    if (since >= until) return;
    const pieces = plan[source];
    const last = pieces[pieces.length - 1];
    if (last?.until === since) last.until = until;
    else pieces.push({ since, until });
  };
  const split = (since: number, until: number, whole: Resolution, rest: (since: number, until: number) => void) => {
    const len = RESOLUTION_MS[whole];
    const first = Math.ceil(since / len) * len;
    const last = Math.floor(until / len) * len;
    if (first >= last) return rest(since, until);
    rest(since, first);
    add(whole, first, last);
    rest(last, until);
  };
  const hours = (since: number, until: number) => split(since, until, 'hour', (s, u) => add('raw', s, u));
  for (const s of spans) split(s.since, s.until, 'day', hours);
  return plan;
}
