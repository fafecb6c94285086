// Reads a rule unit-test file in the format of `promtool test rules` (Prometheus 3), strictly as
// promtool does (unknown keys are errors), reporting every problem as `file:line: path: message`.
// Scalars are read as written (failsafe schema): `values: 0x10` is the notation "0 repeated 10
// times", not the hex number 16, just as Go's YAML decoder hands the text to a string field.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { parseDuration } from '../../core/duration.js';
import { expandSeriesValues, parseSeriesText, type SeriesValue } from './series-notation.js';

export interface InputSeries {
  labels: Record<string, string>;
  values: SeriesValue[];
  /** Where the series was written: `tests[0].input_series[2]`. */
  path: string;
  line: number;
  valuesLine: number;
}

export interface ExpectedAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface AlertTestCase {
  evalTimeMs: number;
  /** '' when missing: promtool reports that when the test group runs, not at load. */
  alertname: string;
  expAlerts: ExpectedAlert[];
  path: string;
  line: number;
}

export interface ExpectedSample {
  /** Parsed labels, or why they do not parse (reported with the test case, as promtool does). */
  labels: { ok: true; value: Record<string, string> } | { ok: false; error: string };
  labelsText: string;
  value: number;
  /** A native-histogram expectation (Prometheus 3); Value is then ignored. */
  histogram: string | undefined;
  path: string;
  line: number;
}

export interface PromqlTestCase {
  expr: string;
  evalTimeMs: number;
  expSamples: ExpectedSample[];
  path: string;
  line: number;
  exprLine: number;
}

export interface TestGroup {
  index: number;
  name: string;
  intervalMs: number;
  /** Epoch ms of time 0 of the group (start_timestamp); 0 by default. */
  startMs: number;
  externalLabels: Record<string, string>;
  externalURL: string;
  inputSeries: InputSeries[];
  /** Series or values that do not parse: the group then fails without running, as in promtool. */
  seriesErrors: string[];
  alertTests: AlertTestCase[];
  promqlTests: PromqlTestCase[];
  line: number;
}

export interface RuleFilePattern {
  pattern: string;
  line: number;
}

export interface UnitTestFile {
  file: string;
  ruleFiles: RuleFilePattern[];
  evaluationIntervalMs: number;
  groupEvalOrder: string[];
  fuzzyCompare: boolean;
  tests: TestGroup[];
}

export const DEFAULT_EVALUATION_INTERVAL_MS = 60_000;

export type ParsedTestFile = { ok: true; spec: UnitTestFile } | { ok: false; errors: string[] };

const FILE_FIELDS = ['rule_files', 'evaluation_interval', 'group_eval_order', 'tests', 'fuzzy_compare'] as const;
const GROUP_FIELDS = [
  'interval', 'input_series', 'alert_rule_test', 'promql_expr_test', 'external_labels', 'external_url', 'name', 'start_timestamp',
] as const;
const SERIES_FIELDS = ['series', 'values'] as const;
const ALERT_TEST_FIELDS = ['eval_time', 'alertname', 'exp_alerts'] as const;
const ALERT_FIELDS = ['exp_labels', 'exp_annotations'] as const;
const PROMQL_TEST_FIELDS = ['expr', 'eval_time', 'exp_samples'] as const;
const SAMPLE_FIELDS = ['labels', 'value', 'histogram'] as const;

export function parseTestFile(text: string, file: string): ParsedTestFile {
  const lines = new LineCounter();
  // Like yaml.v2's Unmarshal, only the first document counts.
  const doc = parseAllDocuments(text, { schema: 'failsafe', lineCounter: lines, prettyErrors: false, uniqueKeys: true })[0];
  if (!doc || Array.isArray(doc)) return { ok: true, spec: emptySpec(file) };
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => `${file}:${lines.linePos(e.pos[0]).line}: invalid YAML: ${e.message.split('\n')[0]}`) };
  }
  const r = new Reader(doc, lines, file);
  const spec = readFile(r, doc.contents);
  return r.errors.length > 0 ? { ok: false, errors: r.errors } : { ok: true, spec };
}

function emptySpec(file: string): UnitTestFile {
  return { file, ruleFiles: [], evaluationIntervalMs: DEFAULT_EVALUATION_INTERVAL_MS, groupEvalOrder: [], fuzzyCompare: false, tests: [] };
}

function readFile(r: Reader, root: Node | null): UnitTestFile {
  const spec = emptySpec(r.file);
  const m = r.map(root, '', FILE_FIELDS);
  if (!m) return spec;
  spec.ruleFiles = r.list(m.rule_files, 'rule_files', (n, p) => {
    const pattern = r.string(n, p);
    return pattern === undefined ? undefined : { pattern, line: r.line(n) };
  });
  const interval = r.duration(m.evaluation_interval, 'evaluation_interval');
  // promtool treats 0 as unset, as it does for a test group's interval.
  if (interval !== undefined && interval > 0) spec.evaluationIntervalMs = interval;
  const seen = new Set<string>();
  spec.groupEvalOrder = r.list(m.group_eval_order, 'group_eval_order', (n, p) => {
    const name = r.string(n, p);
    if (name !== undefined && seen.has(name)) r.fail(n, p, `group name repeated in evaluation order: ${name}`);
    if (name !== undefined) seen.add(name);
    return name;
  });
  spec.fuzzyCompare = r.bool(m.fuzzy_compare, 'fuzzy_compare') ?? false;
  spec.tests = r.list(m.tests, 'tests', (n, p, i) => readGroup(r, n, p, i, spec.evaluationIntervalMs));
  return spec;
}

function readGroup(r: Reader, node: Node, path: string, index: number, evalIntervalMs: number): TestGroup | undefined {
  const m = r.map(node, path, GROUP_FIELDS);
  if (!m) return undefined;
  const interval = r.duration(m.interval, `${path}.interval`);
  const group: TestGroup = {
    index,
    name: r.string(m.name, `${path}.name`) ?? '',
    // Prometheus 3 defaults the input spacing to evaluation_interval (2.42 used 0 and loaded every
    // sample at time 0).
    intervalMs: interval !== undefined && interval > 0 ? interval : evalIntervalMs,
    startMs: r.timestamp(m.start_timestamp, `${path}.start_timestamp`) ?? 0,
    externalLabels: r.stringMap(m.external_labels, `${path}.external_labels`),
    externalURL: r.string(m.external_url, `${path}.external_url`) ?? '',
    inputSeries: [],
    seriesErrors: [],
    alertTests: [],
    promqlTests: [],
    line: r.line(node),
  };
  group.inputSeries = r.list(m.input_series, `${path}.input_series`, (n, p) => {
    const s = r.map(n, p, SERIES_FIELDS);
    if (!s) return undefined;
    const seriesText = r.string(s.series, `${p}.series`) ?? '';
    const valuesText = r.string(s.values, `${p}.values`) ?? '';
    const labels = parseSeriesText(seriesText);
    const values = expandSeriesValues(valuesText);
    if (!labels.ok) group.seriesErrors.push(r.at(s.series ?? n, `${p}.series`, `parse error: ${labels.error}`));
    if (!values.ok) group.seriesErrors.push(r.at(s.values ?? n, `${p}.values`, `parse error: ${values.error}`));
    if (!labels.ok || !values.ok) return undefined;
    return { labels: labels.value, values: values.value, path: p, line: r.line(n), valuesLine: r.line(s.values ?? n) };
  });
  group.alertTests = r.list(m.alert_rule_test, `${path}.alert_rule_test`, (n, p) => {
    const a = r.map(n, p, ALERT_TEST_FIELDS);
    if (!a) return undefined;
    return {
      evalTimeMs: r.duration(a.eval_time, `${p}.eval_time`) ?? 0,
      alertname: r.string(a.alertname, `${p}.alertname`) ?? '',
      expAlerts: r.list(a.exp_alerts, `${p}.exp_alerts`, (en, ep) => {
        const e = r.map(en, ep, ALERT_FIELDS);
        if (!e) return undefined;
        return { labels: r.stringMap(e.exp_labels, `${ep}.exp_labels`), annotations: r.stringMap(e.exp_annotations, `${ep}.exp_annotations`) };
      }),
      path: p,
      line: r.line(n),
    };
  });
  group.promqlTests = r.list(m.promql_expr_test, `${path}.promql_expr_test`, (n, p) => {
    const t = r.map(n, p, PROMQL_TEST_FIELDS);
    if (!t) return undefined;
    return {
      expr: r.string(t.expr, `${p}.expr`) ?? '',
      evalTimeMs: r.duration(t.eval_time, `${p}.eval_time`) ?? 0,
      expSamples: r.list(t.exp_samples, `${p}.exp_samples`, (sn, sp) => {
        const s = r.map(sn, sp, SAMPLE_FIELDS);
        if (!s) return undefined;
        const labelsText = r.string(s.labels, `${sp}.labels`) ?? '';
        const histogram = r.string(s.histogram, `${sp}.histogram`);
        return {
          labels: parseSeriesText(labelsText),
          labelsText,
          value: r.float(s.value, `${sp}.value`) ?? 0,
          histogram: histogram === '' ? undefined : histogram,
          path: sp,
          line: r.line(sn),
        };
      }),
      path: p,
      line: r.line(n),
      exprLine: r.line(t.expr ?? n),
    };
  });
  return group;
}

type Fields<K extends string> = Partial<Record<K, Node>>;

/** Typed reads of YAML nodes that record a located error instead of throwing. */
class Reader {
  readonly errors: string[] = [];

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    readonly file: string,
  ) {}

  line(node: Node | null | undefined): number {
    const offset = node?.range?.[0];
    return offset === undefined ? 1 : this.lines.linePos(offset).line;
  }

  at(node: Node | null | undefined, path: string, message: string): string {
    return `${this.file}:${this.line(node)}: ${path === '' ? '' : `${path}: `}${message}`;
  }

  fail(node: Node | null | undefined, path: string, message: string): undefined {
    this.errors.push(this.at(node, path, message));
    return undefined;
  }

  private resolve(node: Node | null | undefined): Node | null {
    if (node === undefined || node === null) return null;
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    if (isScalar(node) && node.type === 'PLAIN' && /^(?:|~|null|Null|NULL)$/.test(String(node.value))) return null;
    return node;
  }

  map<K extends string>(raw: Node | null | undefined, path: string, known: readonly K[]): Fields<K> | undefined {
    const node = this.resolve(raw);
    if (node === null) return {};
    if (!isMap(node)) return this.fail(raw, path, `expected a mapping, got ${describe(node)}`);
    const out: Fields<K> = {};
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      const keyNode = pair.key as Node;
      if (key === undefined || !(known as readonly string[]).includes(key)) {
        this.fail(keyNode, path === '' ? String(key) : `${path}.${String(key)}`, `unknown field (expected one of: ${known.join(', ')})`);
        continue;
      }
      if (pair.value !== null) out[key as K] = pair.value as Node;
    }
    return out;
  }

  list<T>(raw: Node | null | undefined, path: string, item: (node: Node, path: string, index: number) => T | undefined): T[] {
    const node = this.resolve(raw);
    if (node === null) return [];
    if (!isSeq(node)) {
      this.fail(raw, path, `expected a list, got ${describe(node)}`);
      return [];
    }
    const out: T[] = [];
    node.items.forEach((n, i) => {
      const v = item(n as Node, `${path}[${i}]`, i);
      if (v !== undefined) out.push(v);
    });
    return out;
  }

  string(raw: Node | null | undefined, path: string): string | undefined {
    const node = this.resolve(raw);
    if (node === null) return undefined;
    if (!isScalar(node)) return this.fail(raw, path, `expected a string, got ${describe(node)}`);
    return String(node.value);
  }

  stringMap(raw: Node | null | undefined, path: string): Record<string, string> {
    const node = this.resolve(raw);
    const out: Record<string, string> = {};
    if (node === null) return out;
    if (!isMap(node)) {
      this.fail(raw, path, `expected a mapping of names to strings, got ${describe(node)}`);
      return out;
    }
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      out[key] = this.string(pair.value as Node | null, `${path}.${key}`) ?? '';
    }
    return out;
  }

  duration(raw: Node | null | undefined, path: string): number | undefined {
    const text = this.string(raw, path);
    if (text === undefined) return undefined;
    const ms = parseDuration(text);
    if (ms === undefined) return this.fail(raw, path, `not a valid duration: ${JSON.stringify(text)} (expected e.g. "90s", "1h30m")`);
    return ms;
  }

  float(raw: Node | null | undefined, path: string): number | undefined {
    const node = this.resolve(raw);
    if (node === null) return undefined;
    const v = isScalar(node) && node.type === 'PLAIN' ? yamlFloat(String(node.value)) : undefined;
    if (v === undefined) return this.fail(raw, path, `expected a number, got ${isScalar(node) ? JSON.stringify(String(node.value)) : describe(node)}`);
    return v;
  }

  bool(raw: Node | null | undefined, path: string): boolean | undefined {
    const node = this.resolve(raw);
    if (node === null) return undefined;
    const text = isScalar(node) && node.type === 'PLAIN' ? String(node.value) : undefined;
    // YAML 1.1 booleans, as gopkg.in/yaml.v2 reads them.
    if (text !== undefined && /^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/.test(text)) return true;
    if (text !== undefined && /^(?:n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/.test(text)) return false;
    return this.fail(raw, path, `expected true or false, got ${isScalar(node) ? JSON.stringify(String(node.value)) : describe(node)}`);
  }

  /** A Unix timestamp in seconds or an RFC 3339 time, as promtool's start_timestamp; epoch ms. */
  timestamp(raw: Node | null | undefined, path: string): number | undefined {
    const text = this.string(raw, path);
    if (text === undefined) return undefined;
    if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
    const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
    const ms = rfc3339.test(text) ? Date.parse(text) : NaN;
    if (Number.isNaN(ms)) return this.fail(raw, path, `expected a Unix timestamp in seconds or an RFC 3339 time, got ${JSON.stringify(text)}`);
    return ms;
  }
}

function describe(node: Node): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return JSON.stringify(String(node.value));
  return 'something else';
}

/** A plain YAML 1.1 scalar as a float64, the way gopkg.in/yaml.v2 decodes one; undefined if not a number. */
export function yamlFloat(text: string): number | undefined {
  if (/^[-+]?\.(?:inf|Inf|INF)$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^\.(?:nan|NaN|NAN)$/.test(text)) return NaN;
  const plain = text.replace(/_/g, '');
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(plain)) {
    // Go's ParseInt(…, 0, 64) reads a leading 0 as octal before the float rule applies.
    const oct = /^([-+]?)0([0-7]+)$/.exec(plain);
    if (oct) return (oct[1] === '-' ? -1 : 1) * parseInt(oct[2] as string, 8);
    return Number(plain);
  }
  const m = /^([-+]?)0(?:([xX])([0-9a-fA-F]+)|([bB])([01]+)|([oO])([0-7]+))$/.exec(plain);
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  if (m[2]) return sign * parseInt(m[3] as string, 16);
  if (m[4]) return sign * parseInt(m[5] as string, 2);
  return sign * parseInt(m[7] as string, 8);
}
