// Running sum and mean of native histograms, shared by the sum/avg aggregations and sum_over_time/avg_over_time,
// recording what Prometheus reports about the inputs: incompatible schemas, colliding counter-reset hints,
// custom bounds reconciled to their intersection.

import { compact, divideHistogram, hasOverflow, scaleHistogram, type NativeHistogram } from './native-histogram.js';
import { compensatedValue, kahanAdd, startSum, type CompensatedSum } from './native-histogram-kahan.js';

export class HistogramAccumulator {
  private acc: CompensatedSum | null = null;
  /** Set once the running sum would overflow: from then on an incremental mean is kept instead. */
  private mean: CompensatedSum | null = null;
  private n = 0;
  private sawReset = false;
  private sawNotReset = false;
  /** An exponential and a custom-bucket histogram met; the result is undefined. */
  incompatible = false;
  /** Custom bounds differed and were reduced to the common ones. */
  reconciled = false;

  /** `averaging`: the mean is wanted, so an overflowing sum switches to an incremental mean. */
  constructor(private readonly averaging: boolean) {}

  /** Counter-reset hints `reset` and `not_reset` were both seen. */
  get counterResetCollision(): boolean {
    return this.sawReset && this.sawNotReset;
  }

  add(h: NativeHistogram): void {
    this.n++;
    if (h.hint === 'reset') this.sawReset = true;
    else if (h.hint === 'not_reset') this.sawNotReset = true;
    if (this.incompatible) return;
    if (this.acc === null) {
      this.acc = startSum(h);
      return;
    }
    if (this.mean === null) {
      const r = this.addTo(this.acc, h);
      if (r === null) return;
      if (!this.averaging || !hasOverflow(r.sum)) {
        this.acc = r;
        return;
      }
      this.mean = divided(this.acc, this.n - 1);
    }
    const q = (this.n - 1) / this.n;
    const scaled = { sum: scaleHistogram(this.mean.sum, q), comp: scaleHistogram(this.mean.comp, q) };
    const r = this.addTo(scaled, divideHistogram(h, this.n));
    if (r !== null) this.mean = r;
  }

  private addTo(acc: CompensatedSum, h: NativeHistogram): CompensatedSum | null {
    const r = kahanAdd(acc, h);
    if (r === null) {
      this.incompatible = true;
      return null;
    }
    if (r.boundsReconciled) this.reconciled = true;
    return r.acc;
  }

  /** The sum of all added histograms; null if none were added or they were incompatible. */
  total(): NativeHistogram | null {
    if (this.incompatible || this.acc === null) return null;
    return compact(compensatedValue(this.acc));
  }

  /** The mean of all added histograms; null if none were added or they were incompatible. */
  average(): NativeHistogram | null {
    if (this.incompatible || this.acc === null) return null;
    return compact(compensatedValue(this.mean ?? divided(this.acc, this.n)));
  }
}

function divided(acc: CompensatedSum, n: number): CompensatedSum {
  return { sum: divideHistogram(acc.sum, n), comp: divideHistogram(acc.comp, n) };
}
