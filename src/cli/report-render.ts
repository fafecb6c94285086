// A Report as JSON (the Report itself), Markdown (GitHub-flavoured tables) or one self-contained
// HTML page (inline CSS, no script, no external asset). Check names, messages and alert text come
// from users and probed servers: every one is escaped for the format it lands in.
import type { ReportLatency, ReportSlo } from './report-math.js';
import type { Report, ReportBreakdownEntry, ReportCheck, ReportFormat, ReportIncident } from './report.js';

export function renderReport(report: Report, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'markdown':
      return renderMarkdown(report);
    case 'html':
      return renderHtml(report);
  }
}

export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Shared wording.

const PERIOD_TITLE = { daily: 'daily report', weekly: 'weekly report', custom: 'report' } as const;
const MESSAGE_MAX = 200;

export function percent(p: number | null): string {
  return p === null ? '–' : `${p}%`;
}

export function millis(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '–' : `${ms} ms`;
}

const UNITS: ReadonlyArray<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];

/** A duration to the second, in days at most ("30d", "1d2h30m", "9m56s"), in ms below a second. */
export function span(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let rest = Math.round(ms / 1000) * 1000;
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** "2026-01-01 10:00:00Z": ISO without the milliseconds, readable in a table. */
export function when(isoTime: string | null): string {
  return isoTime === null ? 'ongoing' : isoTime.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

function title(r: Report): string {
  return `healthmon ${PERIOD_TITLE[r.period]}: ${when(r.since)} to ${when(r.until)}`;
}

function stepLabel(report: Report): string {
  return report.step_ms === 3_600_000 ? 'Hourly' : report.step_ms === 86_400_000 ? 'Daily' : `Per ${span(report.step_ms)}`;
}

function sloSummary(slo: ReportSlo | null): string {
  if (!slo) return '–';
  return `${slo.compliant ? 'met' : 'MISSED'} (${percent(slo.actual_pct)} of ${slo.objective_pct}%)`;
}

/** The budget left; with a 100 % objective one failure leaves none to speak of. */
function budget(slo: ReportSlo): string {
  return slo.error_budget_remaining_pct === null ? 'none (100% objective)' : `${slo.error_budget_remaining_pct}%`;
}

function budgetLevel(slo: ReportSlo): string {
  const b = slo.error_budget_remaining_pct;
  return b === null || b < 0 ? 'bad' : b < 25 ? 'poor' : '';
}

function sloLatency(slo: ReportSlo): string {
  if (slo.latency.length === 0) return '–';
  return slo.latency.map((l) => `${l.quantile} ${millis(l.actual_ms)} ≤ ${l.target_ms} ms: ${l.compliant ? 'met' : 'MISSED'}`).join('; ');
}

function incidentWhat(i: ReportIncident): string {
  if (i.type === 'alert') return [i.alertname ?? 'alert', i.severity ? `(${i.severity})` : '', i.message ? `: ${i.message}` : ''].join(' ').replace(' :', ':').replace(/\s+/g, ' ').trim();
  return [i.status ?? 'down', i.reason ? `, ${i.reason}` : '', i.message ? `: ${i.message}` : ''].join('').trim();
}

function clip(text: string): string {
  return text.length > MESSAGE_MAX ? `${text.slice(0, MESSAGE_MAX - 1)}…` : text;
}

function latencyCells(l: ReportLatency | null): [string, string, string] {
  return [millis(l?.p50_ms), millis(l?.p95_ms), millis(l?.p99_ms)];
}

/** Checks ordered for people: worst uptime first, then by name; JSON keeps the config's order. */
function forPeople(checks: readonly ReportCheck[]): ReportCheck[] {
  return [...checks].sort((a, b) => (a.uptime_pct ?? 101) - (b.uptime_pct ?? 101) || (a.check < b.check ? -1 : a.check > b.check ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// Markdown.

/**
 * Text safe in a GFM table cell: no line breaks or control characters, and every character that
 * could start markup (emphasis, links, code, HTML, a cell break) backslash-escaped.
 */
export function mdText(text: string): string {
  return clip(text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')).replace(/[\\`*_{}[\]<>()#+!|~&]/g, (c) => `\\${c}`);
}

function mdTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, align?: readonly ('l' | 'r')[]): string {
  const sep = header.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [header, sep, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

export function renderMarkdown(r: Report): string {
  const out: string[] = [];
  const t = r.totals;
  out.push(`# ${title(r)}`);
  out.push('');
  out.push(`From ${when(r.since)} to ${when(r.until)} (UTC, ${span(r.duration_ms)}), generated ${when(r.generated_at)}.`);
  out.push('');
  out.push('## Summary');
  out.push('');
  out.push(
    mdTable(
      ['', ''],
      [
        ['Checks', `${t.checks} (${t.checks_with_data} with runs)`],
        ['Uptime', percent(t.uptime_pct)],
        ['Runs / failures', `${t.runs} / ${t.failures}`],
        ['Latency p50 / p95 / p99', latencyCells(t.latency).join(' / ')],
        ['Incidents', `${t.incidents} (${plural(t.outages, 'outage', 'outages')}, ${plural(t.alerts, 'alert', 'alerts')})`],
        ['Downtime', span(t.downtime_ms)],
        ['SLOs met', t.slo_checks === 0 ? 'no SLOs' : `${t.slo_compliant} of ${t.slo_checks}`],
      ],
    ),
  );
  out.push('');
  out.push('## Worst offenders');
  out.push('');
  if (r.worst_offenders.length === 0) out.push('None: every check was up for every run.');
  else
    out.push(
      mdTable(
        ['Check', 'Uptime', 'Downtime', 'Incidents', 'Failures', 'SLO'],
        r.worst_offenders.map((o) => [mdText(o.check), percent(o.uptime_pct), span(o.downtime_ms), String(o.incidents), String(o.failures), o.slo_compliant === null ? '–' : o.slo_compliant ? 'met' : 'MISSED']),
        ['l', 'r', 'r', 'r', 'r', 'l'],
      ),
    );
  out.push('');
  out.push('## Checks');
  out.push('');
  if (r.checks.length === 0) out.push('No checks are configured.');
  else
    out.push(
      mdTable(
        ['Check', 'Kind', 'Uptime', 'p50', 'p95', 'p99', 'Error rate', 'Runs', 'Incidents', 'Downtime', 'SLO'],
        forPeople(r.checks).map((c) => [
          `${mdText(c.check)}${c.critical ? ' (critical)' : ''}`,
          mdText(c.kind),
          percent(c.uptime_pct),
          ...latencyCells(c.latency),
          percent(c.error_rate_pct),
          String(c.runs),
          String(c.incidents.length),
          span(c.downtime_ms),
          sloSummary(c.slo),
        ]),
        ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
      ),
    );
  const slos = r.checks.filter((c) => c.slo !== null);
  if (slos.length > 0) {
    out.push('');
    out.push('## SLO compliance');
    out.push('');
    out.push(
      mdTable(
        ['Check', 'Window', 'Objective', 'Actual', 'Budget left', 'Latency', 'This period', 'Compliant'],
        slos.map((c) => {
          const s = c.slo!;
          return [mdText(c.check), span(s.window_ms), `${s.objective_pct}%`, percent(s.actual_pct), budget(s), mdText(sloLatency(s)), percent(s.span_actual_pct), s.compliant ? 'yes' : '**no**'];
        }),
        ['l', 'r', 'r', 'r', 'r', 'l', 'r', 'l'],
      ),
    );
  }
  out.push('');
  out.push('## Incidents');
  out.push('');
  if (r.incidents.length === 0) out.push('None.');
  else
    out.push(
      mdTable(
        ['Start', 'End', 'Duration', 'Check', 'Type', 'What'],
        r.incidents.map((i) => [
          `${when(i.start)}${i.began_before ? ' (or earlier)' : ''}`,
          when(i.end),
          span(i.duration_ms),
          i.check === null ? '–' : mdText(i.check),
          i.type,
          mdText(incidentWhat(i)),
        ]),
        ['l', 'l', 'r', 'l', 'l', 'l'],
      ),
    );
  out.push('');
  out.push(`## ${stepLabel(r)} breakdown, all checks`);
  out.push('');
  out.push(mdTable(['Start (UTC)', 'Runs', 'Failures', 'Uptime', 'p95'], r.breakdown.map((b) => [when(b.start), String(b.runs), String(b.failures), percent(b.uptime_pct), millis(b.p95_ms)]), ['l', 'r', 'r', 'r', 'r']));
  out.push('');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// HTML.

export function html(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Uptime → a class: colour is never the only signal (the number is in the cell too). */
function level(p: number | null): string {
  if (p === null) return 'none';
  return p >= 99.9 ? 'good' : p >= 99 ? 'fair' : p >= 95 ? 'poor' : 'bad';
}

const CSS = `
:root{color-scheme:light;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--good:#d2f4dc;--fair:#fff3c4;--poor:#ffdcb8;--bad:#ffd1d1;--none:#eef1f4}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#fff;margin:2rem auto;max-width:80rem;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:2rem 0 .5rem}
p.meta{color:var(--muted);margin:0 0 1rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.good{background:var(--good)}.fair{background:var(--fair)}.poor{background:var(--poor)}.bad{background:var(--bad)}.none{background:var(--none)}
.missed{font-weight:700}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:.25rem 1rem;margin:0}
dl.summary dt{font-weight:600}dl.summary dd{margin:0}
.heat td{font-size:12px;padding:.15rem .25rem;text-align:center}
.wrap{overflow-x:auto}
`;

function th(cells: readonly string[], numeric: readonly number[] = []): string {
  return `<thead><tr>${cells.map((c, i) => `<th scope="col"${numeric.includes(i) ? ' class="num"' : ''}>${c}</th>`).join('')}</tr></thead>`;
}

function td(text: string, cls = ''): string {
  return `<td${cls ? ` class="${cls}"` : ''}>${text}</td>`;
}

export function renderHtml(r: Report): string {
  const t = r.totals;
  const heading = title(r);
  const parts: string[] = [];
  parts.push(`<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">`);
  parts.push(`<title>${html(heading)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n<main>`);
  parts.push(`<h1>${html(heading)}</h1>`);
  parts.push(`<p class="meta">From <time datetime="${html(r.since)}">${html(when(r.since))}</time> to <time datetime="${html(r.until)}">${html(when(r.until))}</time> (UTC, ${span(r.duration_ms)}), generated <time datetime="${html(r.generated_at)}">${html(when(r.generated_at))}</time>.</p>`);

  parts.push('<section aria-labelledby="summary"><h2 id="summary">Summary</h2><dl class="summary">');
  const summary: Array<[string, string]> = [
    ['Checks', `${t.checks} (${t.checks_with_data} with runs)`],
    ['Uptime', percent(t.uptime_pct)],
    ['Runs / failures', `${t.runs} / ${t.failures}`],
    ['Latency p50 / p95 / p99', latencyCells(t.latency).join(' / ')],
    ['Incidents', `${t.incidents} (${plural(t.outages, 'outage', 'outages')}, ${plural(t.alerts, 'alert', 'alerts')})`],
    ['Downtime', span(t.downtime_ms)],
    ['SLOs met', t.slo_checks === 0 ? 'no SLOs' : `${t.slo_compliant} of ${t.slo_checks}`],
  ];
  for (const [k, v] of summary) parts.push(`<dt>${html(k)}</dt><dd>${html(v)}</dd>`);
  parts.push('</dl></section>');

  parts.push('<section aria-labelledby="worst"><h2 id="worst">Worst offenders</h2>');
  if (r.worst_offenders.length === 0) parts.push('<p>None: every check was up for every run.</p>');
  else {
    parts.push(`<table>${th(['Check', 'Uptime', 'Downtime', 'Incidents', 'Failures', 'SLO'], [1, 2, 3, 4])}<tbody>`);
    for (const o of r.worst_offenders) {
      const slo = o.slo_compliant === null ? '–' : o.slo_compliant ? 'met' : 'MISSED';
      parts.push(`<tr>${td(html(o.check))}${td(percent(o.uptime_pct), `num ${level(o.uptime_pct)}`)}${td(span(o.downtime_ms), 'num')}${td(String(o.incidents), 'num')}${td(String(o.failures), 'num')}${td(slo, o.slo_compliant === false ? 'missed' : '')}</tr>`);
    }
    parts.push('</tbody></table>');
  }
  parts.push('</section>');

  parts.push('<section aria-labelledby="checks"><h2 id="checks">Checks</h2>');
  if (r.checks.length === 0) parts.push('<p>No checks are configured.</p>');
  else {
    parts.push(`<div class="wrap"><table>${th(['Check', 'Kind', 'Group', 'Uptime', 'p50', 'p95', 'p99', 'Error rate', 'Runs', 'Incidents', 'Downtime', 'SLO'], [3, 4, 5, 6, 7, 8, 9, 10])}<tbody>`);
    for (const c of forPeople(r.checks)) {
      const [p50, p95, p99] = latencyCells(c.latency);
      parts.push(
        `<tr><th scope="row">${html(c.check)}${c.critical ? ' <small>(critical)</small>' : ''}</th>${td(html(c.kind))}${td(html(c.group))}${td(percent(c.uptime_pct), `num ${level(c.uptime_pct)}`)}${td(p50, 'num')}${td(p95, 'num')}${td(p99, 'num')}${td(percent(c.error_rate_pct), 'num')}${td(String(c.runs), 'num')}${td(String(c.incidents.length), 'num')}${td(span(c.downtime_ms), 'num')}${td(html(sloSummary(c.slo)), c.slo?.compliant === false ? 'missed' : '')}</tr>`,
      );
    }
    parts.push('</tbody></table></div>');
  }
  parts.push('</section>');

  const slos = r.checks.filter((c) => c.slo !== null);
  if (slos.length > 0) {
    parts.push(`<section aria-labelledby="slo"><h2 id="slo">SLO compliance</h2><table>${th(['Check', 'Window', 'Objective', 'Actual', 'Budget left', 'Latency', 'This period', 'Compliant'], [1, 2, 3, 4, 6])}<tbody>`);
    for (const c of slos) {
      const s = c.slo!;
      parts.push(
        `<tr><th scope="row">${html(c.check)}</th>${td(span(s.window_ms), 'num')}${td(`${s.objective_pct}%`, 'num')}${td(percent(s.actual_pct), 'num')}${td(budget(s), `num ${budgetLevel(s)}`.trim())}${td(html(sloLatency(s)))}${td(percent(s.span_actual_pct), 'num')}${td(s.compliant ? 'yes' : 'no', s.compliant ? 'good' : 'bad missed')}</tr>`,
      );
    }
    parts.push('</tbody></table></section>');
  }

  parts.push('<section aria-labelledby="incidents"><h2 id="incidents">Incidents</h2>');
  if (r.incidents.length === 0) parts.push('<p>None.</p>');
  else {
    parts.push(`<table>${th(['Start', 'End', 'Duration', 'Check', 'Type', 'What'], [2])}<tbody>`);
    for (const i of r.incidents) {
      parts.push(
        `<tr>${td(`<time datetime="${html(i.start)}">${html(when(i.start))}</time>${i.began_before ? ' (or earlier)' : ''}`)}${td(i.end === null ? 'ongoing' : `<time datetime="${html(i.end)}">${html(when(i.end))}</time>`)}${td(span(i.duration_ms), 'num')}${td(i.check === null ? '–' : html(i.check))}${td(i.type)}${td(html(clip(incidentWhat(i))))}</tr>`,
      );
    }
    parts.push('</tbody></table>');
  }
  parts.push('</section>');

  parts.push(`<section aria-labelledby="breakdown"><h2 id="breakdown">${stepLabel(r)} breakdown</h2>`);
  parts.push(`<table>${th(['Start (UTC)', 'Runs', 'Failures', 'Uptime', 'p95'], [1, 2, 3, 4])}<tbody>`);
  for (const b of r.breakdown) parts.push(`<tr>${td(`<time datetime="${html(b.start)}">${html(when(b.start))}</time>`)}${td(String(b.runs), 'num')}${td(String(b.failures), 'num')}${td(percent(b.uptime_pct), `num ${level(b.uptime_pct)}`)}${td(millis(b.p95_ms), 'num')}</tr>`);
  parts.push('</tbody></table>');
  if (r.checks.length > 0) parts.push(heatmap(r));
  parts.push('</section>\n</main>\n</body>\n</html>\n');
  return parts.join('\n');
}

/** One decimal, never rounded up to 100; whole numbers as such. */
function heatCell(p: number | null): string {
  if (p === null) return '–';
  const down = Math.floor(p * 10) / 10;
  return Number.isInteger(down) ? String(down) : down.toFixed(1);
}

/** Uptime per check per step: a table whose cells carry the number, coloured by level. */
function heatmap(r: Report): string {
  const label = (b: ReportBreakdownEntry) => (r.step_ms < 86_400_000 ? b.start.slice(11, 16) : b.start.slice(5, 10));
  const rows = forPeople(r.checks).map(
    (c) =>
      `<tr><th scope="row">${html(c.check)}</th>${c.breakdown.map((b) => `<td class="${level(b.uptime_pct)}">${heatCell(b.uptime_pct)}</td>`).join('')}</tr>`,
  );
  return `<div class="wrap"><table class="heat"><caption>Uptime (%) per check, ${stepLabel(r).toLowerCase()}, starting at (UTC)</caption>${th(['Check', ...r.breakdown.map(label)])}<tbody>${rows.join('')}</tbody></table></div>`;
}
