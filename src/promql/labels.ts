// Immutable, sorted label sets with a cached string key: the identity of a series in the window and in results.
// Stored as a flat [name0, value0, name1, value1, …] array so selectors can hand out the same object without copying.

export const METRIC_NAME = '__name__';
const SEP = '\xff';

export type Labels = Record<string, string>;

export class LabelSet {
  /** Flat sorted pairs; never mutated after construction. */
  readonly kv: readonly string[];
  private cachedKey: string | undefined;

  private constructor(kv: readonly string[]) {
    this.kv = kv;
  }

  static readonly EMPTY = new LabelSet([]);

  /** Builds from a record; empty values are dropped, as Prometheus treats them as absent. */
  static fromRecord(rec: Readonly<Labels>): LabelSet {
    const names = Object.keys(rec).filter((n) => rec[n] !== '').sort(compareStrings);
    const kv: string[] = new Array(names.length * 2);
    for (let i = 0; i < names.length; i++) {
      const n = names[i] as string;
      kv[2 * i] = n;
      kv[2 * i + 1] = rec[n] as string;
    }
    return new LabelSet(kv);
  }

  /** Builds from pairs already sorted by name with no empty values. */
  static fromSortedPairs(kv: string[]): LabelSet {
    return kv.length === 0 ? LabelSet.EMPTY : new LabelSet(kv);
  }

  get size(): number {
    return this.kv.length >> 1;
  }

  /** A string that is equal for equal label sets. */
  get key(): string {
    if (this.cachedKey === undefined) this.cachedKey = this.kv.join(SEP);
    return this.cachedKey;
  }

  get(name: string): string {
    const kv = this.kv;
    for (let i = 0; i < kv.length; i += 2) {
      if (kv[i] === name) return kv[i + 1] as string;
    }
    return '';
  }

  has(name: string): boolean {
    const kv = this.kv;
    for (let i = 0; i < kv.length; i += 2) if (kv[i] === name) return true;
    return false;
  }

  get metricName(): string {
    // __name__ sorts before any lower-case label but after upper-case ones, so scan.
    return this.get(METRIC_NAME);
  }

  toRecord(): Labels {
    const out: Labels = {};
    for (let i = 0; i < this.kv.length; i += 2) out[this.kv[i] as string] = this.kv[i + 1] as string;
    return out;
  }

  withoutName(): LabelSet {
    return this.has(METRIC_NAME) ? this.filter((n) => n !== METRIC_NAME) : this;
  }

  filter(keep: (name: string) => boolean): LabelSet {
    const kv = this.kv;
    const out: string[] = [];
    for (let i = 0; i < kv.length; i += 2) {
      const n = kv[i] as string;
      if (keep(n)) out.push(n, kv[i + 1] as string);
    }
    return out.length === kv.length ? this : LabelSet.fromSortedPairs(out);
  }

  /** Returns a copy with `name` set to `value`; an empty value deletes the label. */
  with(name: string, value: string): LabelSet {
    const kv = this.kv;
    const out: string[] = [];
    let done = false;
    for (let i = 0; i < kv.length; i += 2) {
      const n = kv[i] as string;
      if (!done && n >= name) {
        done = true;
        if (value !== '') out.push(name, value);
        if (n === name) continue;
      }
      out.push(n, kv[i + 1] as string);
    }
    if (!done && value !== '') out.push(name, value);
    return LabelSet.fromSortedPairs(out);
  }

  /** Prometheus's labels.String(): `{__name__="x", a="b"}`. */
  toString(): string {
    const parts: string[] = [];
    for (let i = 0; i < this.kv.length; i += 2) {
      parts.push(`${this.kv[i] as string}=${quote(this.kv[i + 1] as string)}`);
    }
    return `{${parts.join(', ')}}`;
  }
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Prometheus's labels.Compare: pairwise by name then value, shorter set first. */
export function compareLabelSets(a: LabelSet, b: LabelSet): number {
  const x = a.kv;
  const y = b.kv;
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const xi = x[i] as string;
    const yi = y[i] as string;
    if (xi !== yi) return xi < yi ? -1 : 1;
  }
  return x.length - y.length;
}

/** Go-style double-quoted string, as Prometheus prints label values. */
export function quote(s: string): string {
  return JSON.stringify(s);
}

const PLAIN_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Renders labels the way PromQL results are shown: `name{a="b", c="d"}`. */
export function formatLabels(labels: Readonly<Labels> | LabelSet): string {
  const ls = labels instanceof LabelSet ? labels : LabelSet.fromRecord(labels);
  const name = ls.get(METRIC_NAME);
  const parts: string[] = [];
  for (let i = 0; i < ls.kv.length; i += 2) {
    const n = ls.kv[i] as string;
    if (n === METRIC_NAME && PLAIN_NAME.test(name)) continue;
    parts.push(`${PLAIN_NAME.test(n) ? n : quote(n)}=${quote(ls.kv[i + 1] as string)}`);
  }
  const head = PLAIN_NAME.test(name) ? name : '';
  if (head !== '' && parts.length === 0) return head;
  return `${head}{${parts.join(', ')}}`;
}
