// Numeric helpers shared by functions and aggregations, matching Prometheus's float behaviour
// (Kahan–Neumaier summation, Go's math.Pow edge cases, quantile interpolation, linear regression).

/** Neumaier-compensated running sum; returns [sum, compensation]. */
export function kahanSumInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (t === Infinity || t === -Infinity) return [t, 0];
  if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

/** Go's math.Pow, which differs from JS `**` for a few special cases. */
export function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if ((x === -1) && (y === Infinity || y === -Infinity)) return 1;
  return x ** y;
}

/** Prometheus's quantile over a list of values (sorted in place, NaN first). */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  values.sort(compareNaNFirst);
  const n = values.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return (values[lower] as number) * (1 - weight) + (values[upper] as number) * weight;
}

export function compareNaNFirst(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
  if (Number.isNaN(b)) return 1;
  return a - b;
}

/** Least-squares slope and intercept of (t - interceptTime in s, v), with Prometheus's constant-y shortcut. */
export function linearRegression(
  ts: Float64Array, vs: Float64Array, lo: number, hi: number, interceptTime: number,
): [number, number] {
  let n = 0;
  let sumX = 0, cX = 0, sumY = 0, cY = 0, sumXY = 0, cXY = 0, sumX2 = 0, cX2 = 0;
  const initY = vs[lo] as number;
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const y = vs[i] as number;
    if (constY && i > lo && y !== initY) constY = false;
    n++;
    const x = ((ts[i] as number) - interceptTime) / 1000;
    [sumX, cX] = kahanSumInc(x, sumX, cX);
    [sumY, cY] = kahanSumInc(y, sumY, cY);
    [sumXY, cXY] = kahanSumInc(x * y, sumXY, cXY);
    [sumX2, cX2] = kahanSumInc(x * x, sumX2, cX2);
  }
  if (constY) {
    if (initY === Infinity || initY === -Infinity) return [NaN, NaN];
    return [0, initY];
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  return [slope, sumY / n - (slope * sumX) / n];
}

/** Go's strconv.FormatFloat(f, 'f', -1, 64): shortest round-trip digits, never exponent notation. */
export function formatFloatPlain(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  const s = String(f);
  if (!/e/i.test(s)) return s;
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const sign = m[1] ?? '';
  const digits = (m[2] ?? '') + (m[3] ?? '');
  const exp = Number(m[4]);
  if (exp >= 0) {
    const intLen = exp + 1;
    return sign + (digits.length <= intLen ? digits + '0'.repeat(intLen - digits.length) : `${digits.slice(0, intLen)}.${digits.slice(intLen)}`);
  }
  return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
}

/** Go's strconv.FormatFloat(f, 'g', -1, 64) as Prometheus prints values in messages (%g-like). */
export function formatFloatG(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const e = f.toExponential();
  const exp = Number(e.slice(e.indexOf('e') + 1));
  // Shortest %g switches to an exponent below 1e-4 and from 1e6 on (Go's "precision 6" rule).
  if (exp < -4 || exp >= 6) return e.replace(/e([+-])(\d)$/, 'e$10$2');
  return formatFloatPlain(f);
}

/** Go's labels.FormatOpenMetricsFloat: %g, with ".0" added to whole numbers ("1.0", "0.0", "1e+06"). */
export function formatOpenMetricsFloat(f: number): string {
  const s = formatFloatG(f);
  if (!Number.isFinite(f) || /[e.]/.test(s)) return s;
  return `${s}.0`;
}
