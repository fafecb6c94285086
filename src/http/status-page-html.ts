// The status page's HTML, rendered from plain data: no I/O, no clock, no build step, no external
// assets. Every interpolated value goes through the `html` tagged template's escaper; the CSS and
// the refresh script are constants, allowed by the Content-Security-Policy through their hashes.
import { createHash } from 'node:crypto';
import type { CheckStatus } from '../state/check-state.js';
import type { CheckAssessment, OverallAssessment } from '../state/assessment.js';

// ---------------------------------------------------------------------------------------------
// Escaping

/** Markup that is already safe: produced by `html` (or a constant of this module). */
export class SafeHtml {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

export type HtmlValue = SafeHtml | string | number | null | undefined | false | readonly HtmlValue[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const SPECIAL = /[&<>"']/;
const SPECIAL_ALL = /[&<>"']/g;

/** Safe in text and in quoted attribute values (every attribute here is quoted). */
export function escapeHtml(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIAL_ALL, (c) => ENTITIES[c]!) : text;
}

function part(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.html;
  if (value === undefined || value === null || value === false) return '';
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) {
    let out = '';
    for (const v of value as readonly HtmlValue[]) out += part(v);
    return out;
  }
  throw new TypeError(`cannot put a ${typeof value} into HTML`);
}

/** Tagged template: the literal parts are markup, every `${value}` is escaped (SafeHtml is not). */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += part(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

// ---------------------------------------------------------------------------------------------
// The data the page is rendered from

/** One day of a check's history: runs and failed runs. */
export interface DayBar {
  /** Start of the day (UTC), epoch ms. */
  start: number;
  count: number;
  failures: number;
}

export interface CheckHistoryView {
  /** Oldest first, today last. */
  days: readonly DayBar[];
  /** Latency per step (oldest first); undefined where nothing ran. */
  latencyMs: readonly (number | undefined)[];
}

export interface AlertView {
  name: string;
  severity: string | undefined;
  check: string | undefined;
  summary: string | undefined;
  startsAt: number;
  /** Why it is muted (silence, inhibition, dependency, maintenance), if it is. */
  mutedBy: string | undefined;
}

export interface SilenceView {
  id: string;
  matchers: readonly string[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  state: 'active' | 'pending';
}

export interface StatusPageModel {
  title: string;
  now: number;
  /** Seconds between refreshes; 0 turns refreshing off. */
  refreshSeconds: number;
  overall: OverallAssessment;
  checks: readonly CheckAssessment[];
  /** By check name; a check missing here shows "no history". */
  history: ReadonlyMap<string, CheckHistoryView>;
  /** What the sparkline's points are, in words: 'hourly p95' or 'hourly mean'. */
  latencyLabel: string;
  /** Undefined when alerting is not running. */
  alerts: readonly AlertView[] | undefined;
  silences: readonly SilenceView[] | undefined;
  /** Shown above the checks, e.g. when history could not be read. */
  notices?: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Colours: WCAG AA (text ≥ 4.5:1 on its background, bars and lines ≥ 3:1 on the card), light and dark.

export type StatusKey = CheckStatus | 'unknown';
type Scheme = {
  page: string;
  card: string;
  text: string;
  muted: string;
  border: string;
  link: string;
  focus: string;
  /** Text on a status colour. */
  onStatus: string;
  status: Record<StatusKey, string>;
  /** Day bars: 100 %, ≥ 99 %, ≥ 95 %, below, no data. */
  bar: Record<BarClass, string>;
  line: string;
};
export type BarClass = 'u-full' | 'u-minor' | 'u-major' | 'u-bad' | 'u-none';

export const PALETTE: { light: Scheme; dark: Scheme } = {
  light: {
    page: '#f6f8fa', card: '#ffffff', text: '#1f2328', muted: '#59636e', border: '#d1d9e0', link: '#0969da', focus: '#0969da',
    onStatus: '#ffffff',
    status: { healthy: '#1a7f37', degraded: '#9a6700', unhealthy: '#cf222e', critical: '#82071e', unknown: '#59636e' },
    bar: { 'u-full': '#1a7f37', 'u-minor': '#bf8700', 'u-major': '#bc4c00', 'u-bad': '#cf222e', 'u-none': '#818b98' },
    line: '#0969da',
  },
  dark: {
    page: '#0d1117', card: '#161b22', text: '#e6edf3', muted: '#9198a1', border: '#3d444d', link: '#4493f8', focus: '#4493f8',
    onStatus: '#0d1117',
    status: { healthy: '#3fb950', degraded: '#d29922', unhealthy: '#f85149', critical: '#ffa198', unknown: '#9198a1' },
    bar: { 'u-full': '#3fb950', 'u-minor': '#d29922', 'u-major': '#db6d28', 'u-bad': '#f85149', 'u-none': '#6e7681' },
    line: '#4493f8',
  },
};

const STATUS_KEYS: readonly StatusKey[] = ['healthy', 'degraded', 'unhealthy', 'critical', 'unknown'];

/** Colour is never alone: every status has a word and a symbol of its own shape. */
export const STATUS_TEXT: Record<StatusKey, { label: string; icon: string }> = {
  healthy: { label: 'Healthy', icon: '✓' },
  degraded: { label: 'Degraded', icon: '▲' },
  unhealthy: { label: 'Unhealthy', icon: '✕' },
  critical: { label: 'Critical', icon: '‼' },
  unknown: { label: 'No data yet', icon: '?' },
};

function schemeVars(s: Scheme): string {
  const vars = [
    `--page:${s.page}`, `--card:${s.card}`, `--text:${s.text}`, `--muted:${s.muted}`, `--border:${s.border}`, `--link:${s.link}`,
    `--focus:${s.focus}`, `--on:${s.onStatus}`, `--line:${s.line}`,
    ...STATUS_KEYS.map((k) => `--${k}:${s.status[k]}`),
    ...(Object.keys(s.bar) as BarClass[]).map((k) => `--${k}:${s.bar[k]}`),
  ];
  return vars.join(';');
}

const CSS = [
  `:root{color-scheme:light dark;${schemeVars(PALETTE.light)}}`,
  `@media (prefers-color-scheme:dark){:root{${schemeVars(PALETTE.dark)}}}`,
  '*{box-sizing:border-box}',
  'html{-webkit-text-size-adjust:100%;text-size-adjust:100%}',
  'body{margin:0;background:var(--page);color:var(--text);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif}',
  'a{color:var(--link)}',
  ':focus-visible{outline:3px solid var(--focus);outline-offset:2px}',
  '.vh{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}',
  '.skip{position:absolute;left:.5rem;top:-3rem;background:var(--card);color:var(--link);padding:.5rem 1rem;z-index:1}',
  '.skip:focus{top:.5rem}',
  'header,main,footer{max-width:80rem;margin:0 auto;padding:0 1rem}',
  'header{padding-top:1rem}',
  'h1{font-size:1.5rem;margin:0 0 .25rem}',
  'h2{font-size:1.2rem;margin:1.5rem 0 .5rem}',
  'h3{font-size:1rem;margin:0;overflow-wrap:anywhere}',
  '.meta{color:var(--muted);margin:0 0 .5rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center}',
  'button{font:inherit;color:var(--text);background:var(--card);border:1px solid var(--muted);border-radius:6px;padding:.2rem .7rem;cursor:pointer}',
  '.banner{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.75rem 1rem;border-radius:8px;font-weight:600;margin:.5rem 0}',
  '.counts{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;margin:.25rem 0;padding:0}',
  '.counts div{display:flex;gap:.35rem}.counts dt{color:var(--muted)}.counts dd{margin:0;font-weight:600}',
  '.st{display:inline-block;padding:.05rem .5rem;border-radius:1rem;font-weight:600;font-size:.85rem;white-space:nowrap;background:var(--unknown);color:var(--on)}',
  ...STATUS_KEYS.map((k) => `.s-${k}{background:var(--${k});color:var(--on)}`),
  '.tag{font-size:.8rem;border:1px solid var(--muted);color:var(--muted);border-radius:4px;padding:0 .3rem}',
  'nav ul,.attention{list-style:none;padding:0;margin:.25rem 0;display:flex;flex-wrap:wrap;gap:.35rem .75rem}',
  '.checks{list-style:none;padding:0;margin:0;display:grid;gap:.5rem}',
  '.check{background:var(--card);border:1px solid var(--border);border-radius:8px;padding:.6rem .8rem;display:grid;gap:.35rem 1rem;min-width:0;',
  'grid-template-columns:minmax(0,1fr);grid-template-areas:"head" "last" "up" "charts" "more"}',
  '@media (min-width:60rem){.check{grid-template-columns:minmax(12rem,1.2fr) minmax(12rem,2fr) auto auto;grid-template-areas:"head last up charts" "more more more more";align-items:center}}',
  '.ch{grid-area:head;display:flex;flex-wrap:wrap;gap:.25rem .5rem;align-items:center;min-width:0}',
  '.last{grid-area:last;margin:0;overflow-wrap:anywhere;min-width:0}',
  '.last code,.facts code{font-size:.85rem}',
  '.up{grid-area:up;display:flex;gap:.75rem;margin:0}',
  '.up div{display:flex;flex-direction:column}.up dt{color:var(--muted);font-size:.8rem}.up dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums}',
  '.charts{grid-area:charts;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end}',
  '.charts figure{margin:0}.charts figcaption{color:var(--muted);font-size:.75rem}',
  'svg{display:block;overflow:visible}',
  // A run of same-coloured days is one dashed line: 4 px of bar, 1 px of gap.
  '.bars path{fill:none;stroke-width:20;stroke-dasharray:4 1}.bars path.u-none{stroke-width:6}',
  ...(Object.keys(PALETTE.light.bar) as BarClass[]).map((k) => `.${k}{stroke:var(--${k})}`),
  '.flat{fill:var(--u-none)}',
  '.spark{fill:none;stroke:var(--line);stroke-width:1.5;stroke-linejoin:round;stroke-linecap:round}',
  '.dot{fill:var(--line)}',
  'details{grid-area:more;min-width:0}',
  'summary{cursor:pointer;color:var(--link);width:max-content;max-width:100%}',
  '.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.2rem 1rem;margin:.5rem 0}',
  '.facts dt{color:var(--muted)}.facts dd{margin:0;overflow-wrap:anywhere}',
  '.muted{color:var(--muted)}',
  '.problem{margin:0;font-weight:600}.problem:empty{display:none}',
  '.tw{overflow-x:auto;max-width:100%}',
  'table{border-collapse:collapse;width:100%;background:var(--card)}',
  'caption{text-align:left;color:var(--muted);padding:.25rem 0}',
  'th,td{text-align:left;vertical-align:top;padding:.35rem .6rem;border-bottom:1px solid var(--border);overflow-wrap:break-word}',
  'th{font-weight:600}',
  'footer{color:var(--muted);padding-bottom:2rem;margin-top:2rem}',
  '@media (prefers-reduced-motion:reduce){*{scroll-behavior:auto}}',
].join('\n');

// Fetches the page again every data-refresh seconds and swaps <main>, keeping open <details>, the
// focused element and the scroll position; announces only changes of the overall status. Pausable.
const SCRIPT = `(() => {
  const every = Number(document.documentElement.dataset.refresh) * 1000;
  const button = document.getElementById('pause');
  const live = document.getElementById('live');
  const problem = document.getElementById('problem');
  if (!(every > 0) || !button) return;
  button.hidden = false;
  let paused = false;
  let timer;
  let busy = false;
  let announced = document.getElementById('overall-text')?.textContent ?? '';
  const schedule = () => {
    clearTimeout(timer);
    if (!paused) timer = setTimeout(refresh, every);
  };
  const say = (el, text) => {
    if (el && el.textContent !== text) el.textContent = text;
  };
  async function refresh() {
    if (busy) return;
    if (document.hidden) {
      document.addEventListener('visibilitychange', refresh, { once: true });
      return;
    }
    busy = true;
    try {
      const res = await fetch(location.href, { headers: { accept: 'text/html' }, cache: 'no-store' });
      if (!res.ok) throw new Error('the server answered ' + res.status);
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const next = doc.getElementById('main');
      const current = document.getElementById('main');
      if (!next || !current) throw new Error('the page came back without its content');
      for (const d of current.querySelectorAll('details[open][id]')) {
        const same = doc.getElementById(d.id);
        if (same) same.open = true;
      }
      const summary = doc.getElementById('overall-text')?.textContent ?? '';
      const focused = document.activeElement && current.contains(document.activeElement) ? document.activeElement.id : '';
      const x = scrollX;
      const y = scrollY;
      current.replaceWith(document.adoptNode(next));
      if (focused) document.getElementById(focused)?.focus({ preventScroll: true });
      scrollTo(x, y);
      document.title = doc.title;
      const icon = doc.querySelector('link[rel=icon]');
      if (icon) document.querySelector('link[rel=icon]')?.setAttribute('href', icon.getAttribute('href'));
      const stamp = doc.getElementById('updated');
      if (stamp) document.getElementById('updated')?.replaceWith(document.adoptNode(stamp));
      if (summary !== announced) say(live, summary);
      announced = summary;
      say(problem, '');
    } catch (err) {
      say(problem, 'Could not refresh: ' + (err && err.message ? err.message : err) + '. Trying again.');
    } finally {
      busy = false;
      schedule();
    }
  }
  button.addEventListener('click', () => {
    paused = !paused;
    button.setAttribute('aria-pressed', String(paused));
    button.textContent = paused ? 'Resume auto-refresh' : 'Pause auto-refresh';
    if (!paused) refresh();
    else clearTimeout(timer);
  });
  schedule();
})();`;

const hashOf = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Only this page's own inline style and script run; nothing loads from anywhere. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `style-src ${hashOf(CSS)}`,
  `script-src ${hashOf(SCRIPT)}`,
  "img-src data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// ---------------------------------------------------------------------------------------------
// Formatting

export function statusKey(status: CheckStatus | undefined): StatusKey {
  return status ?? 'unknown';
}

const SEVERITY: Record<StatusKey, number> = { critical: 4, unhealthy: 3, degraded: 2, unknown: 1, healthy: 0 };

export function formatPercent(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '—';
  // Floored, so anything short of perfect never reads as 100%.
  return `${Math.floor(ratio * 10_000 + 1e-6) / 100}%`;
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export function formatTime(at: number): string {
  const iso = new Date(at).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

export function formatAgo(at: number, now: number): string {
  const s = Math.round((now - at) / 1000);
  if (s < 0) return 'in the future';
  if (s < 5) return 'just now';
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 2 * 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} days ago`;
}

function time(at: number, now: number): SafeHtml {
  const iso = new Date(at).toISOString();
  return html`<time datetime="${iso}" title="${`${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`}">${formatAgo(at, now)}</time>`;
}

/** Stable, unique, valid ids from check and group names (the refresh keeps state by id). */
export function slug(name: string): string {
  // `_` starts an escape, so it is escaped too; the result needs no escaping in CSS selectors.
  return name.replace(/[^A-Za-z0-9-]/gu, (c) => `_${c.codePointAt(0)!.toString(16)}_`);
}

export function barClass(day: DayBar): BarClass {
  if (day.count === 0) return 'u-none';
  if (day.failures === 0) return 'u-full';
  const up = 1 - day.failures / day.count;
  if (up >= 0.99) return 'u-minor';
  if (up >= 0.95) return 'u-major';
  return 'u-bad';
}

// ---------------------------------------------------------------------------------------------
// Pieces

function badge(key: StatusKey): SafeHtml {
  const t = STATUS_TEXT[key];
  return html`<span class="st s-${key}"><span aria-hidden="true">${t.icon} </span>${t.label}</span>`;
}

const BAR_W = 4;
const BAR_GAP = 1;
const BAR_H = 20;

function dayBar(name: string, days: readonly DayBar[]): SafeHtml {
  const width = Math.max(1, days.length * (BAR_W + BAR_GAP) - BAR_GAP);
  const paths: Record<BarClass, string> = { 'u-full': '', 'u-minor': '', 'u-major': '', 'u-bad': '', 'u-none': '' };
  let full = 0;
  let none = 0;
  let worst: DayBar | undefined;
  const classes = days.map((d) => {
    const cls = barClass(d);
    if (cls === 'u-none') none++;
    else if (cls === 'u-full') full++;
    else if (!worst || d.failures / d.count > worst.failures / worst.count) worst = d;
    return cls;
  });
  // Days of one colour in a row are one dashed run; no data is a short bar, so shape tells it apart too.
  for (let i = 0; i < classes.length; ) {
    const cls = classes[i]!;
    let n = 1;
    while (classes[i + n] === cls) n++;
    paths[cls] += `M${i * (BAR_W + BAR_GAP)} ${cls === 'u-none' ? BAR_H - 3 : BAR_H / 2}h${n * (BAR_W + BAR_GAP) - BAR_GAP}`;
    i += n;
  }
  const failing = days.length - full - none;
  let label = `Daily uptime of ${name}, last ${days.length} days: ${full} at 100%`;
  if (failing > 0 && worst) label += `, ${failing} with failures (lowest ${formatPercent(1 - worst.failures / worst.count)} on ${formatTime(worst.start).slice(0, 10)})`;
  if (none > 0) label += `, ${none} without data`;
  const shapes = (Object.keys(paths) as BarClass[]).filter((k) => paths[k] !== '').map((k) => html`<path class="${k}" d="${paths[k]}"/>`);
  return html`<svg class="bars" role="img" aria-label="${label}" width="${width}" height="${BAR_H}" viewBox="0 0 ${width} ${BAR_H}">${shapes}</svg>`;
}

const SPARK_W = 120;
const SPARK_H = 24;
const X_POSITIONS = new Map<number, number[]>();

/** The x of each point, spread over the width; the same for every check. */
function xPositions(n: number): number[] {
  let xs = X_POSITIONS.get(n);
  if (!xs) X_POSITIONS.set(n, (xs = Array.from({ length: n }, (_, i) => (n > 1 ? Math.round(((i * SPARK_W) / (n - 1)) * 10) / 10 : 0))));
  return xs;
}

function sparkline(name: string, values: readonly (number | undefined)[], what: string): SafeHtml {
  let max = 0;
  let min = Infinity;
  let latest: number | undefined;
  for (const v of values) {
    if (v === undefined || !Number.isFinite(v)) continue;
    if (v > max) max = v;
    if (v < min) min = v;
    latest = v;
  }
  if (latest === undefined) {
    return html`<svg role="img" aria-label="${`Latency of ${name}: no runs in the last ${values.length} hours`}" width="${SPARK_W}" height="${SPARK_H}" viewBox="0 0 ${SPARK_W} ${SPARK_H}"><path class="flat" d="M0 ${SPARK_H - 1}h${SPARK_W}v1H0z"/></svg>`;
  }
  const xs = xPositions(values.length);
  const scale = max > 0 ? (SPARK_H - 4) / max : 0;
  // One decimal is plenty at this size, and keeps the page small.
  const y = (v: number) => Math.round((SPARK_H - 2 - v * scale) * 10) / 10;
  let d = '';
  let dots = '';
  let lastX = 0;
  let lastY = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === undefined || !Number.isFinite(v)) continue;
    const x = xs[i]!;
    const yy = y(v);
    const before = i > 0 && values[i - 1] !== undefined;
    const after = i + 1 < values.length && values[i + 1] !== undefined;
    if (before) d += `L${x} ${yy}`;
    else if (after) d += `M${x} ${yy}`;
    // A point with no neighbour would draw nothing: it gets a dot (the latest has its own).
    else if (i !== values.length - 1) dots += `<circle class="dot" cx="${x}" cy="${yy}" r="1.5"/>`;
    lastX = x;
    lastY = yy;
  }
  const label = `Latency of ${name}, last ${values.length} hours (${what}): lowest ${formatMs(min)}, highest ${formatMs(max)}, latest ${formatMs(latest)}`;
  return html`<svg role="img" aria-label="${label}" width="${SPARK_W}" height="${SPARK_H}" viewBox="0 0 ${SPARK_W} ${SPARK_H}">${d ? html`<path class="spark" d="${d}"/>` : ''}${new SafeHtml(dots)}<circle class="dot" cx="${lastX}" cy="${lastY}" r="2.5"/></svg>`;
}

function lastRun(c: CheckAssessment, now: number): SafeHtml {
  const last = c.last;
  if (!last) return html`<p class="last muted">Not run yet</p>`;
  if (last.ok) return html`<p class="last">Last run ${time(last.at, now)}: <strong>up</strong>, ${formatMs(last.durationMs)}${last.message ? html` <span class="muted">(${last.message})</span>` : ''}</p>`;
  return html`<p class="last">Last run ${time(last.at, now)}: <strong>down</strong>${last.reason ? html` — <code>${last.reason}</code>` : ''}${last.message ? html`: ${last.message}` : ''} <span class="muted">after ${formatMs(last.durationMs)}</span></p>`;
}

function fact(term: string, value: HtmlValue): SafeHtml {
  return html`<dt>${term}</dt><dd>${value}</dd>`;
}

function checkDetails(c: CheckAssessment, id: string, h: CheckHistoryView | undefined, now: number): SafeHtml {
  const lat = c.latency;
  const slo = c.slo;
  const failingDays = h ? h.days.filter((d) => d.failures > 0) : [];
  return html`<details id="d-${id}"><summary id="s-${id}">Details<span class="vh"> of ${c.check}</span></summary><dl class="facts">${[
    fact('Kind', c.kind),
    fact('Target', c.target),
    c.description ? fact('Description', c.description) : '',
    fact('Status', html`${STATUS_TEXT[statusKey(c.status)].label}${c.statusSince !== undefined ? html` since ${time(c.statusSince, now)}` : ''}`),
    c.last ? fact('Last run', html`${formatTime(c.last.at)}, ${c.last.ok ? 'succeeded' : 'failed'} in ${formatMs(c.last.durationMs)}`) : '',
    fact('Latency, 24h', lat ? `p50 ${formatMs(lat.p50Ms)} · p95 ${formatMs(lat.p95Ms)} · p99 ${formatMs(lat.p99Ms)} · mean ${formatMs(lat.meanMs)}` : 'no runs'),
    fact('Error rate, 24h', formatPercent(c.errorRate)),
    fact('Uptime', `1h ${formatPercent(c.uptime['1h'])} · 24h ${formatPercent(c.uptime['24h'])} · 7d ${formatPercent(c.uptime['7d'])} · 30d ${formatPercent(c.uptime['30d'])}`),
    fact('Health score', `${Math.round(c.healthScore)} / 100`),
    slo
      ? fact('SLO', html`${formatPercent(slo.objective)} over ${Math.round(slo.windowMs / 86_400_000)} days: measured ${formatPercent(slo.availability)}, error budget left ${Number.isFinite(slo.errorBudgetRemaining) ? `${Math.round(slo.errorBudgetRemaining * 100)}%` : '—'}, <strong>${slo.compliant ? 'met' : 'not met'}</strong>${slo.latency.map((l) => html`; ${l.quantile} ${formatMs(l.actualMs)} (target ${formatMs(l.targetMs)}, ${l.compliant ? 'met' : 'not met'})`)}`)
      : '',
    c.anomaly.anomalous ? fact('Latency anomaly', `latest far from the usual ${formatMs(c.anomaly.baselineMs)} (± ${formatMs(c.anomaly.deviationMs)})`) : '',
    failingDays.length > 0
      ? fact('Days with failures', failingDays.map((d, i) => html`${i > 0 ? ', ' : ''}${formatTime(d.start).slice(0, 10)} ${formatPercent(1 - d.failures / d.count)} (${d.failures} of ${d.count} failed)`))
      : '',
  ]}</dl></details>`;
}

function checkItem(c: CheckAssessment, model: StatusPageModel): SafeHtml {
  const id = slug(c.check);
  const key = statusKey(c.status);
  const h = model.history.get(c.check);
  return html`<li class="check" id="c-${id}"><div class="ch">${badge(key)}<h3>${c.check}</h3>${c.critical ? html`<span class="tag">critical</span>` : ''}</div>${lastRun(c, model.now)}<dl class="up"><div><dt>Uptime 24h</dt><dd>${formatPercent(c.uptime['24h'])}</dd></div><div><dt>30d</dt><dd>${formatPercent(c.uptime['30d'])}</dd></div></dl><div class="charts">${
    h
      ? html`<figure>${dayBar(c.check, h.days)}<figcaption aria-hidden="true">${h.days.length} days</figcaption></figure><figure>${sparkline(c.check, h.latencyMs, model.latencyLabel)}<figcaption aria-hidden="true">latency, ${h.latencyMs.length} h</figcaption></figure>`
      : html`<span class="muted">No history</span>`
  }</div>${checkDetails(c, id, h, model.now)}</li>`;
}

export interface Group {
  name: string;
  checks: CheckAssessment[];
  worst: StatusKey;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Groups by name, checks by name within each: the order stays put while statuses change. */
export function groupChecks(checks: readonly CheckAssessment[]): Group[] {
  const groups = new Map<string, Group>();
  for (const c of checks) {
    let g = groups.get(c.group);
    if (!g) groups.set(c.group, (g = { name: c.group, checks: [], worst: 'healthy' }));
    g.checks.push(c);
    const key = statusKey(c.status);
    if (SEVERITY[key] > SEVERITY[g.worst]) g.worst = key;
  }
  const list = [...groups.values()].sort((a, b) => byName(a.name.toLowerCase(), b.name.toLowerCase()) || byName(a.name, b.name));
  for (const g of list) g.checks.sort((a, b) => byName(a.check.toLowerCase(), b.check.toLowerCase()) || byName(a.check, b.check));
  return list;
}

function overallKey(o: OverallAssessment): StatusKey {
  if (o.critical > 0) return 'critical';
  if (o.unhealthy > 0) return 'unhealthy';
  if (o.degraded > 0) return 'degraded';
  if (o.healthy > 0) return 'healthy';
  return 'unknown';
}

export function overallText(o: OverallAssessment): string {
  if (o.total === 0) return 'No checks are configured';
  if (o.total === 1) {
    const only = o.critical > 0 ? 'critical' : o.unhealthy > 0 ? 'down' : o.degraded > 0 ? 'degraded' : o.healthy > 0 ? 'healthy' : 'waiting for its first result';
    return `The only check is ${only}`;
  }
  const down = o.unhealthy + o.critical;
  if (down > 0) return `${down} of ${o.total} checks down${o.critical > 0 ? ` (${o.critical} critical)` : ''}`;
  if (o.degraded > 0) return `${o.degraded} of ${o.total} checks degraded`;
  if (o.healthy === 0) return `Waiting for the first results of ${o.total} checks`;
  if (o.unknown > 0) return `${o.healthy} of ${o.total} checks healthy, ${o.unknown} without data yet`;
  return `All ${o.total} checks healthy`;
}

function favicon(key: StatusKey): string {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="${PALETTE.light.status[key]}"/></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

function alertsSection(model: StatusPageModel): SafeHtml {
  const alerts = model.alerts;
  let body: SafeHtml;
  if (!alerts) body = html`<p class="muted">Alerting is not running.</p>`;
  else if (alerts.length === 0) body = html`<p>No alerts are firing.</p>`;
  else {
    body = html`<div class="tw" tabindex="0" role="region" aria-labelledby="alerts-h"><table><caption>${alerts.length} firing${alerts.some((a) => a.mutedBy) ? `, ${alerts.filter((a) => a.mutedBy).length} of them muted` : ''}</caption><thead><tr><th scope="col">Alert</th><th scope="col">Severity</th><th scope="col">Check</th><th scope="col">Since</th><th scope="col">Summary</th><th scope="col">Muted</th></tr></thead><tbody>${alerts.map(
      (a) => html`<tr><th scope="row">${a.name}</th><td>${a.severity ?? '—'}</td><td>${a.check ? html`<a href="#c-${slug(a.check)}">${a.check}</a>` : '—'}</td><td>${time(a.startsAt, model.now)}</td><td>${a.summary ?? ''}</td><td>${a.mutedBy ?? 'no'}</td></tr>`,
    )}</tbody></table></div>`;
  }
  return html`<section aria-labelledby="alerts-h"><h2 id="alerts-h">Active alerts</h2>${body}</section>`;
}

function silencesSection(model: StatusPageModel): SafeHtml | '' {
  const silences = model.silences;
  if (!silences) return '';
  const body = silences.length === 0
    ? html`<p>No silences.</p>`
    : html`<div class="tw" tabindex="0" role="region" aria-labelledby="silences-h"><table><thead><tr><th scope="col">Matchers</th><th scope="col">State</th><th scope="col">Until</th><th scope="col">Created by</th><th scope="col">Comment</th></tr></thead><tbody>${silences.map(
      (s) => html`<tr><th scope="row"><code>${s.matchers.join(', ')}</code></th><td>${s.state === 'active' ? 'active' : html`starts ${formatTime(s.startsAt)}`}</td><td>${formatTime(s.endsAt)}</td><td>${s.createdBy}</td><td>${s.comment}</td></tr>`,
    )}</tbody></table></div>`;
  return html`<section aria-labelledby="silences-h"><h2 id="silences-h">Silences</h2>${body}</section>`;
}

// ---------------------------------------------------------------------------------------------
// The page

export function renderStatusPage(model: StatusPageModel): string {
  const o = model.overall;
  const key = overallKey(o);
  const groups = groupChecks(model.checks);
  const attention = model.checks.filter((c) => c.status !== undefined && c.status !== 'healthy').sort((a, b) => SEVERITY[statusKey(b.status)] - SEVERITY[statusKey(a.status)] || byName(a.check, b.check));
  const summary = overallText(o);

  const head = html`<!doctype html>
<html lang="en" data-refresh="${model.refreshSeconds}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark">
<title>${key === 'healthy' ? '' : `(${STATUS_TEXT[key].label}) `}${model.title}</title>
<link rel="icon" href="${favicon(key)}">
${model.refreshSeconds > 0 ? html`<noscript><meta http-equiv="refresh" content="${model.refreshSeconds}"></noscript>` : ''}
<style>${new SafeHtml(CSS)}</style></head>`;

  const header = html`<body><a class="skip" href="#main">Skip to content</a>
<header><h1>${model.title}</h1><p class="meta"><span id="updated">Updated <time datetime="${new Date(model.now).toISOString()}">${formatTime(model.now)}</time></span>${
    model.refreshSeconds > 0 ? html`<span>Refreshes every ${model.refreshSeconds} s</span><button id="pause" type="button" aria-pressed="false" hidden>Pause auto-refresh</button>` : ''
  }</p><p id="live" class="vh" role="status" aria-live="polite"></p><p id="problem" class="problem" role="status" aria-live="polite"></p></header>`;

  const overview = html`<section aria-labelledby="overview-h"><h2 id="overview-h" class="vh">Overview</h2><p class="banner s-${key}"><span id="overall-text"><span aria-hidden="true">${STATUS_TEXT[key].icon} </span>${summary}</span><span>Health score ${Math.round(o.score)} / 100</span></p>
<dl class="counts">${[
    html`<div><dt>Healthy</dt><dd>${o.healthy}</dd></div>`,
    html`<div><dt>Degraded</dt><dd>${o.degraded}</dd></div>`,
    html`<div><dt>Unhealthy</dt><dd>${o.unhealthy}</dd></div>`,
    html`<div><dt>Critical</dt><dd>${o.critical}</dd></div>`,
    html`<div><dt>No data yet</dt><dd>${o.unknown}</dd></div>`,
  ]}</dl>${
    attention.length > 0
      ? html`<h3 id="attention-h">Needs attention</h3><ul class="attention" aria-labelledby="attention-h">${attention.map((c) => html`<li><a id="a-${slug(c.check)}" href="#c-${slug(c.check)}">${badge(statusKey(c.status))} ${c.check}</a></li>`)}</ul>`
      : ''
  }</section>`;

  const nav = groups.length > 1
    ? html`<nav aria-label="Groups"><ul>${groups.map((g) => html`<li><a id="n-${slug(g.name)}" href="#g-${slug(g.name)}">${g.name}</a> <span class="muted">(${g.checks.length}${g.worst !== 'healthy' ? `, worst: ${STATUS_TEXT[g.worst].label.toLowerCase()}` : ''})</span></li>`)}</ul></nav>`
    : '';

  const checks = groups.length === 0
    ? html`<section aria-labelledby="checks-h"><h2 id="checks-h">Checks</h2><p>No checks are configured. Add some under <code>checks:</code> in the config file and reload.</p></section>`
    : groups.map((g) => {
      const gid = slug(g.name);
      return html`<section aria-labelledby="g-${gid}-h" id="g-${gid}"><h2 id="g-${gid}-h">${g.name} <span class="muted">· ${g.checks.length} ${g.checks.length === 1 ? 'check' : 'checks'}</span></h2><ul class="checks">${g.checks.map((c) => checkItem(c, model))}</ul></section>`;
    });

  const notices = (model.notices ?? []).map((n) => html`<p class="banner s-unknown" role="note">${n}</p>`);

  return html`${head}
${header}
<main id="main" tabindex="-1">${notices}${overview}${alertsSection(model)}${silencesSection(model)}${nav}${checks}</main>
<footer><p>healthmon</p></footer>
<script>${new SafeHtml(SCRIPT)}</script></body></html>
`.html;
}
