// The Go value model the template engine works on. Go's templates are typed: float64 and int
// compare differently, a map knows its element zero value, a struct pointer prints differently.
// JS number = float64, bigint = int, undefined = "no value" (invalid reflect.Value), null = nil.

export type Value =
  | undefined
  | null
  | string
  | number
  | bigint
  | boolean
  | GoMap
  | GoSlice
  | GoStruct
  | GoTime
  | GoDuration
  | GoHTML;

/** A Go parameter type as far as the engine needs it (for argument checks and error texts). */
export type ParamType = 'string' | 'float64' | 'int' | 'bool' | 'any' | 'reflect.Value' | 'queryResult' | '*sample';

export interface GoFunc {
  readonly params: readonly ParamType[];
  /** Element type of a trailing variadic parameter. */
  readonly variadic?: ParamType;
  /** Throws to report the Go function's error result ("error calling NAME: …"). */
  readonly call: (args: Value[]) => Value;
  /** and/or short-circuit and are evaluated lazily by the executor. */
  readonly shortCircuit?: 'and' | 'or';
}

export class GoMap {
  constructor(
    readonly typeName: string,
    readonly entries: ReadonlyMap<string, Value>,
    /** Zero value of the element type: what missingkey=zero yields for an absent key. */
    readonly zero: Value,
  ) {}

  static ofStrings(rec: Readonly<Record<string, string>>): GoMap {
    return new GoMap('map[string]string', new Map(Object.entries(rec)), '');
  }

  sortedKeys(): string[] {
    return [...this.entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

export class GoSlice {
  constructor(readonly typeName: string, readonly elems: Value[]) {}
}

export class GoStruct {
  constructor(
    readonly typeName: string,
    readonly fields: ReadonlyMap<string, Value>,
    /** A pointer to a struct prints as &{…} when nested and is indirected when printed by an action. */
    readonly pointer: boolean,
  ) {}
}

export class GoHTML {
  constructor(readonly s: string) {}
}

const NS_PER_MS = 1_000_000n;

function pad(n: number | bigint, width: number): string {
  return String(n).padStart(width, '0');
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** A *time.Time in UTC with nanosecond resolution (Prometheus' toTime only ever yields UTC). */
export class GoTime {
  constructor(readonly unixNs: bigint) {}

  private parts(): { d: Date; nanos: bigint } {
    let ms = this.unixNs / NS_PER_MS;
    let rem = this.unixNs % NS_PER_MS;
    if (rem < 0n) {
      rem += NS_PER_MS;
      ms -= 1n;
    }
    const d = new Date(Number(ms));
    return { d, nanos: BigInt(d.getUTCMilliseconds()) * NS_PER_MS + rem };
  }

  /** time.Time.Format for the layout elements people use in alert text; the zone is always UTC. */
  format(layout: string): string {
    const { d, nanos } = this.parts();
    const year = d.getUTCFullYear();
    const month = d.getUTCMonth();
    const day = d.getUTCDate();
    const hour = d.getUTCHours();
    const min = d.getUTCMinutes();
    const sec = d.getUTCSeconds();
    const yday = Math.floor((Date.UTC(year, month, day) - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
    const frac9 = pad(nanos, 9);
    const tokens: Array<[string, () => string]> = [
      ['January', () => MONTHS[month] ?? ''], ['Monday', () => DAYS[d.getUTCDay()] ?? ''],
      ['Z07:00:00', () => 'Z'], ['-07:00:00', () => '+00:00:00'], ['Z070000', () => 'Z'], ['-070000', () => '+000000'],
      ['Z07:00', () => 'Z'], ['-07:00', () => '+00:00'], ['Z0700', () => 'Z'], ['-0700', () => '+0000'],
      ['Z07', () => 'Z'], ['-07', () => '+00'],
      ['2006', () => pad(year, 4)], ['Jan', () => (MONTHS[month] ?? '').slice(0, 3)], ['Mon', () => (DAYS[d.getUTCDay()] ?? '').slice(0, 3)],
      ['MST', () => 'UTC'], ['002', () => pad(yday, 3)], ['__2', () => String(yday).padStart(3, ' ')],
      ['01', () => pad(month + 1, 2)], ['02', () => pad(day, 2)], ['_2', () => String(day).padStart(2, ' ')],
      ['03', () => pad(hour % 12 === 0 ? 12 : hour % 12, 2)], ['04', () => pad(min, 2)], ['05', () => pad(sec, 2)],
      ['06', () => pad(year % 100, 2)], ['15', () => pad(hour, 2)], ['PM', () => (hour >= 12 ? 'PM' : 'AM')],
      ['pm', () => (hour >= 12 ? 'pm' : 'am')], ['1', () => String(month + 1)], ['2', () => String(day)],
      ['3', () => String(hour % 12 === 0 ? 12 : hour % 12)], ['4', () => String(min)], ['5', () => String(sec)],
    ];
    let out = '';
    let i = 0;
    outer: while (i < layout.length) {
      const frac = /^[.,](0+|9+)(?![0-9])/.exec(layout.slice(i));
      if (frac) {
        const spec = frac[1] ?? '';
        const digits = frac9.slice(0, spec.length);
        if (spec[0] === '0') out += (frac[0][0] ?? '.') + digits;
        else {
          const trimmed = digits.replace(/0+$/, '');
          if (trimmed !== '') out += (frac[0][0] ?? '.') + trimmed;
        }
        i += frac[0].length;
        continue;
      }
      for (const [tok, fn] of tokens) {
        if (layout.startsWith(tok, i)) {
          out += fn();
          i += tok.length;
          continue outer;
        }
      }
      out += layout[i];
      i++;
    }
    return out;
  }

  /** time.Time.String(): "2006-01-02 15:04:05.999999999 -0700 MST". */
  toString(): string {
    return this.format('2006-01-02 15:04:05.999999999 -0700 MST');
  }

  method(name: string): GoFunc | undefined {
    const secs = (): bigint => {
      const s = this.unixNs / 1_000_000_000n;
      return this.unixNs < 0n && this.unixNs % 1_000_000_000n !== 0n ? s - 1n : s;
    };
    switch (name) {
      case 'Format': return { params: ['string'], call: ([l]) => this.format(String(l)) };
      case 'String': return { params: [], call: () => this.toString() };
      case 'Unix': return { params: [], call: () => secs() };
      case 'UnixMilli': return { params: [], call: () => (this.unixNs - (((this.unixNs % NS_PER_MS) + NS_PER_MS) % NS_PER_MS)) / NS_PER_MS };
      case 'UnixNano': return { params: [], call: () => this.unixNs };
      case 'UTC':
      case 'Local': return { params: [], call: () => new GoTime(this.unixNs) };
      case 'Year': return { params: [], call: () => BigInt(this.parts().d.getUTCFullYear()) };
      case 'YearDay': return { params: [], call: () => BigInt(Number(this.format('002'))) };
      case 'Day': return { params: [], call: () => BigInt(this.parts().d.getUTCDate()) };
      case 'Hour': return { params: [], call: () => BigInt(this.parts().d.getUTCHours()) };
      case 'Minute': return { params: [], call: () => BigInt(this.parts().d.getUTCMinutes()) };
      case 'Second': return { params: [], call: () => BigInt(this.parts().d.getUTCSeconds()) };
      default: return undefined;
    }
  }
}

/** A *time.Duration (int64 nanoseconds). */
export class GoDuration {
  constructor(readonly ns: bigint) {}

  /** time.Duration.String(): "1h2m3.5s", "1.5ms", "0s". */
  toString(): string {
    let u = this.ns < 0n ? -this.ns : this.ns;
    const neg = this.ns < 0n;
    if (u < 1_000_000_000n) {
      if (u === 0n) return '0s';
      let unit = 'ns';
      let scale = 1n;
      if (u >= 1_000_000n) {
        unit = 'ms';
        scale = 1_000_000n;
      } else if (u >= 1_000n) {
        unit = 'µs';
        scale = 1_000n;
      }
      return (neg ? '-' : '') + fracString(u, scale) + unit;
    }
    const h = u / 3_600_000_000_000n;
    u -= h * 3_600_000_000_000n;
    const m = u / 60_000_000_000n;
    u -= m * 60_000_000_000n;
    let s = fracString(u, 1_000_000_000n) + 's';
    if (h > 0n || m > 0n) s = `${m}m${s}`;
    if (h > 0n) s = `${h}h${s}`;
    return (neg ? '-' : '') + s;
  }

  method(name: string): GoFunc | undefined {
    const f = (div: number) => ({ params: [] as ParamType[], call: () => Number(this.ns) / div });
    switch (name) {
      case 'String': return { params: [], call: () => this.toString() };
      case 'Seconds': return f(1e9);
      case 'Minutes': return f(60e9);
      case 'Hours': return f(3600e9);
      case 'Milliseconds': return { params: [], call: () => this.ns / NS_PER_MS };
      case 'Nanoseconds': return { params: [], call: () => this.ns };
      default: return undefined;
    }
  }
}

function fracString(v: bigint, scale: bigint): string {
  const whole = v / scale;
  const rem = v % scale;
  if (rem === 0n) return String(whole);
  const width = String(scale).length - 1;
  return `${whole}.${String(rem).padStart(width, '0').replace(/0+$/, '')}`;
}

/** Go's %T / reflect type string of a value. */
export function typeName(v: Value): string {
  if (v === undefined || v === null) return '<nil>';
  switch (typeof v) {
    case 'string': return 'string';
    case 'number': return 'float64';
    case 'bigint': return 'int';
    case 'boolean': return 'bool';
  }
  if (v instanceof GoTime) return '*time.Time';
  if (v instanceof GoDuration) return '*time.Duration';
  if (v instanceof GoHTML) return 'template.HTML';
  return v.typeName;
}

export function isStringKind(v: Value): v is string | GoHTML {
  return typeof v === 'string' || v instanceof GoHTML;
}

export function stringOf(v: string | GoHTML): string {
  return typeof v === 'string' ? v : v.s;
}
