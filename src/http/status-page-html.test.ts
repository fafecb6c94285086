import { describe, expect, it } from 'vitest';
import { check, DAY, model, NOW } from '../../test/helpers/status-page-fixtures.js';
import {
  barClass,
  escapeHtml,
  formatAgo,
  formatMs,
  formatPercent,
  groupChecks,
  html,
  PALETTE,
  renderStatusPage,
  SafeHtml,
  slug,
  STATUS_PAGE_CSP,
} from './status-page-html.js';


/** The text content of the markup, entities decoded, roughly as a reader gets it. */
function text(markup: string): string {
  return markup
    .replace(/<style>[\s\S]*?<\/style>|<script>[\s\S]*?<\/script>/g, '')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

function luminance(hex: string): number {
  const n = parseInt(hex.slice(1), 16);
  const [r, g, b] = [n >> 16, (n >> 8) & 255, n & 255].map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
const contrast = (a: string, b: string) => {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
};

describe('html escaper', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    [`"' onmouseover="x`, '&quot;&#39; onmouseover=&quot;x'],
    ['a & b', 'a &amp; b'],
    ['plain', 'plain'],
  ])('escapes %j', (input, out) => {
    expect(escapeHtml(input)).toBe(out);
    expect(html`<p title="${input}">${input}</p>`.html).toBe(`<p title="${out}">${out}</p>`);
  });

  it('keeps SafeHtml, flattens arrays, drops nullish and false, prints numbers', () => {
    expect(html`${[html`<b>${'<'}</b>`, '<i>', 3, undefined, null, false]}`.html).toBe('<b>&lt;</b>&lt;i&gt;3');
    expect(html`${new SafeHtml('<br>')}`.html).toBe('<br>');
  });

  it('refuses objects rather than printing [object Object]', () => {
    expect(() => html`${{} as unknown as string}`).toThrow(TypeError);
  });
});

describe('formatting', () => {
  it.each([
    [1, '100%'],
    [0.99999, '99.99%'],
    [0.9995, '99.95%'],
    [0.999, '99.9%'],
    [0.99899, '99.89%'],
    [0.5, '50%'],
    [0, '0%'],
    [undefined, '—'],
  ])('percent %s → %s', (r, s) => expect(formatPercent(r)).toBe(s));

  it.each([
    [0.42, '0.4 ms'],
    [42.4, '42 ms'],
    [1234, '1.23 s'],
    [12_345, '12.3 s'],
    [undefined, '—'],
  ])('ms %s → %s', (ms, s) => expect(formatMs(ms)).toBe(s));

  it.each([
    [NOW - 1000, 'just now'],
    [NOW - 30_000, '30 s ago'],
    [NOW - 10 * 60_000, '10 min ago'],
    [NOW - 5 * 3_600_000, '5 h ago'],
    [NOW - 3 * DAY, '3 days ago'],
  ])('ago %s → %s', (at, s) => expect(formatAgo(at, NOW)).toBe(s));

  it('makes distinct, valid ids of any name', () => {
    const names = ['api', 'a b', 'a_20_b', 'a_b', 'é', '<x>', 'a"b', 'a.b', '😀', 'a__b'];
    const ids = names.map(slug);
    expect(new Set(ids).size).toBe(names.length);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    [{ count: 0, failures: 0 }, 'u-none'],
    [{ count: 100, failures: 0 }, 'u-full'],
    [{ count: 1000, failures: 5 }, 'u-minor'],
    [{ count: 100, failures: 3 }, 'u-major'],
    [{ count: 100, failures: 50 }, 'u-bad'],
  ])('day %j is drawn as %s', (d, cls) => expect(barClass({ start: 0, ...d })).toBe(cls));
});

describe('palette', () => {
  it.each(['light', 'dark'] as const)('%s scheme passes WCAG AA', (name) => {
    const s = PALETTE[name];
    expect(contrast(s.text, s.card)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(s.text, s.page)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(s.muted, s.card)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(s.muted, s.page)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(s.link, s.card)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(s.link, s.page)).toBeGreaterThanOrEqual(4.5);
    for (const [status, colour] of Object.entries(s.status)) {
      expect(contrast(s.onStatus, colour), `text on ${status}`).toBeGreaterThanOrEqual(4.5);
    }
    // Graphics (WCAG 1.4.11): bars and the line against the card.
    for (const [bar, colour] of Object.entries(s.bar)) expect(contrast(colour, s.card), bar).toBeGreaterThanOrEqual(3);
    expect(contrast(s.line, s.card)).toBeGreaterThanOrEqual(3);
    expect(contrast(s.focus, s.card)).toBeGreaterThanOrEqual(3);
  });
});

describe('renderStatusPage', () => {
  it('escapes hostile check names, groups, targets, reasons and messages everywhere', () => {
    const evil = '<script>alert("x")</script>';
    const page = renderStatusPage(
      model(
        [
          check({
            check: `api${evil}`, group: `g${evil}`, target: `http://x/${evil}`, description: `"><img src=x onerror=alert(1)>`, status: 'unhealthy',
            last: { at: NOW - 5000, ok: false, durationMs: 3, reason: `timeout${evil}`, message: `body ${evil} & 'quotes'` },
          }),
        ],
        {
          title: `t${evil}`,
          alerts: [{ name: `A${evil}`, severity: `s${evil}`, check: `api${evil}`, summary: `sum${evil}`, startsAt: NOW - 60_000, mutedBy: `silenced by ${evil}` }],
          silences: [{ id: '1', matchers: [`check="${evil}"`], startsAt: NOW - 1, endsAt: NOW + 3_600_000, createdBy: `me${evil}`, comment: `c${evil}`, state: 'active' }],
          notices: [`n${evil}`],
        },
      ),
    );
    // The page's only script is its own; no hostile tag, attribute or entity broke out.
    expect(page.match(/<script/g)).toHaveLength(1);
    expect(page).not.toContain('<img');
    expect(page).not.toMatch(/<[^>]*\sonerror=/);
    expect(page).not.toContain('alert("x")');
    expect(page).toContain('api&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    const t = text(page);
    expect(t).toContain(`api${evil}`);
    expect(t).toContain(`timeout${evil}`);
    expect(t).toContain(`body ${evil} & 'quotes'`);
    expect(t).toContain(`g${evil}`);
    expect(t).toContain(`A${evil}`);
    expect(t).toContain(`me${evil}`);
  });

  it('shows checks by group, groups and checks in name order, each with its status as colour, icon and word', () => {
    const page = renderStatusPage(
      model([
        check({ check: 'zeta', group: 'web' }),
        check({ check: 'alpha', group: 'web', status: 'degraded' }),
        check({ check: 'db-main', group: 'databases', status: 'critical', critical: true, last: { at: NOW - 5000, ok: false, durationMs: 5000, reason: 'timeout', message: 'no answer within 5s' } }),
        check({ check: 'cache', group: 'databases', status: 'unhealthy', last: { at: NOW - 5000, ok: false, durationMs: 1, reason: 'connection_refused' } }),
        check({ check: 'new', group: 'web', status: undefined, last: undefined, uptime: { '1h': undefined, '24h': undefined, '7d': undefined, '30d': undefined }, latency: undefined }),
      ]),
    );
    const headings = [...page.matchAll(/<h2 id="g-[^"]*">([^<]*)/g)].map((m) => m[1]!.trim());
    expect(headings).toEqual(['databases', 'web']);
    const order = [...page.matchAll(/<li class="check" id="c-([^"]*)"/g)].map((m) => m[1]);
    expect(order).toEqual(['cache', 'db-main', 'alpha', 'new', 'zeta']);
    expect(page).toContain('<span class="st s-critical"><span aria-hidden="true">‼ </span>Critical</span>');
    expect(page).toContain('<span class="st s-unhealthy"><span aria-hidden="true">✕ </span>Unhealthy</span>');
    expect(page).toContain('<span class="st s-degraded"><span aria-hidden="true">▲ </span>Degraded</span>');
    expect(page).toContain('<span class="st s-healthy"><span aria-hidden="true">✓ </span>Healthy</span>');
    expect(page).toContain('<span class="st s-unknown"><span aria-hidden="true">? </span>No data yet</span>');
    const t = text(page);
    expect(t).toContain('Last run 5 s ago: down — connection_refused');
    expect(t).toContain('Last run 5 s ago: down — timeout: no answer within 5s');
    expect(t).toContain('Last run 12 s ago: up, 42 ms');
    expect(t).toContain('Not run yet');
    expect(t).toContain('2 of 5 checks down (1 critical)');
    // Needs attention: worst first.
    expect([...page.matchAll(/<a id="a-([^"]*)"/g)].map((m) => m[1])).toEqual(['db-main', 'cache', 'alpha']);
    expect(page).toContain('<nav aria-label="Groups">');
    expect(page).toContain('<title>(Critical) healthmon status</title>');
  });

  it('labels every chart and shows uptime, latency, SLO and failing days', () => {
    const c = check({
      check: 'api',
      slo: { objective: 0.999, windowMs: 30 * DAY, availability: 0.9991, compliant: true, errorBudgetRemaining: 0.1, burnRate: { '1h': 0, '6h': 0 }, latency: [{ quantile: 'p95', targetMs: 200, actualMs: 80, compliant: true }] },
    });
    const page = renderStatusPage(model([c]));
    const svgs = [...page.matchAll(/<svg[^>]*>/g)].map((m) => m[0]);
    expect(svgs).toHaveLength(2);
    for (const svg of svgs) expect(svg).toMatch(/role="img" aria-label="[^"]+"/);
    expect(page).toContain('aria-label="Daily uptime of api, last 30 days: 26 at 100%, 1 with failures (lowest 97.91% on 2026-05-01), 3 without data"');
    expect(page).toContain('aria-label="Latency of api, last 24 hours (hourly p95): lowest 30 ms, highest 49 ms, latest 31 ms"');
    const t = text(page);
    expect(t).toContain('Uptime 24h100%');
    expect(t).toContain('30d99.91%');
    expect(t).toContain('p50 40 ms · p95 80 ms · p99 120 ms · mean 45 ms');
    expect(t).toContain('99.9% over 30 days: measured 99.91%, error budget left 10%, met; p95 80 ms (target 200 ms, met)');
    expect(t).toContain('Days with failures2026-05-01 97.91% (30 of 1440 failed)');
    // The details are keyboard-reachable and named after their check.
    expect(page).toContain('<details id="d-api"><summary id="s-api">Details<span class="vh"> of api</span></summary>');
  });

  it('draws the sparkline with gaps where nothing ran, isolated points as dots', () => {
    const page = renderStatusPage(model([check({ check: 'api' })], { history: new Map([['api', { days: [], latencyMs: [10, 20, undefined, 5, undefined, 20] }]]) }));
    expect(page).toContain('<path class="spark" d="M0 12L24 2"/><circle class="dot" cx="72" cy="17" r="1.5"/><circle class="dot" cx="120" cy="2" r="2.5"/>');
    expect(page).toContain('lowest 5.0 ms, highest 20 ms, latest 20 ms');
  });

  it('shows firing alerts (muted ones marked) and silences', () => {
    const page = renderStatusPage(
      model([check({ check: 'api' })], {
        alerts: [
          { name: 'CheckDown', severity: 'critical', check: 'api', summary: 'api is down', startsAt: NOW - 120_000, mutedBy: undefined },
          { name: 'Slow', severity: 'warning', check: undefined, summary: undefined, startsAt: NOW - 60_000, mutedBy: 'silenced by abc' },
        ],
        silences: [{ id: 'abc', matchers: ['alertname="Slow"'], startsAt: NOW - 1000, endsAt: NOW + 3_600_000, createdBy: 'ops', comment: 'deploy', state: 'active' }],
      }),
    );
    const t = text(page);
    expect(t).toContain('2 firing, 1 of them muted');
    expect(t).toContain('CheckDowncriticalapi2 min agoapi is downno');
    expect(t).toContain('Slowwarning—60 s agosilenced by abc');
    expect(t).toContain('alertname="Slow"active2026-05-20 13:00:00 UTCopsdeploy');
    expect(page).toContain('<a href="#c-api">api</a>');
  });

  it('says so when alerting is not running', () => {
    const t = text(renderStatusPage(model([check({ check: 'api' })], { alerts: undefined, silences: undefined })));
    expect(t).toContain('Alerting is not running.');
    expect(t).not.toContain('Silences');
  });

  it('renders an empty state', () => {
    const page = renderStatusPage(model([]));
    const t = text(page);
    expect(t).toContain('No checks are configured. Add some');
    expect(t).toContain('No checks are configured');
    expect(page).toContain('<html lang="en" data-refresh="30">');
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page).toContain('<noscript><meta http-equiv="refresh" content="30"></noscript>');
  });

  it('leaves refreshing off when asked', () => {
    const page = renderStatusPage(model([], { refreshSeconds: 0 }));
    expect(page).not.toContain('http-equiv="refresh"');
    expect(page).not.toContain('id="pause"');
  });

  it('has landmarks, one h1 and a skip link', () => {
    const page = renderStatusPage(model([check({ check: 'api' })]));
    expect(page.match(/<h1>/g)).toHaveLength(1);
    for (const tag of ['<header>', '<main id="main" tabindex="-1">', '<footer>']) expect(page).toContain(tag);
    expect(page).toContain('<a class="skip" href="#main">Skip to content</a>');
    expect(page).toContain('role="status" aria-live="polite"');
  });

  it('allows exactly its own inline style and script by hash', async () => {
    const { createHash } = await import('node:crypto');
    const page = renderStatusPage(model([check({ check: 'api' })]));
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)![1]!;
    const script = /<script>([\s\S]*?)<\/script>/.exec(page)![1]!;
    const h = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
    expect(STATUS_PAGE_CSP).toContain(`style-src ${h(style)}`);
    expect(STATUS_PAGE_CSP).toContain(`script-src ${h(script)}`);
    expect(STATUS_PAGE_CSP).toContain("default-src 'none'");
    expect(page).not.toMatch(/\sstyle="/);
    expect(page).not.toMatch(/\son[a-z]+="/);
  });

  it('renders 1,000 checks in a few tens of milliseconds', () => {
    const checks = Array.from({ length: 1000 }, (_, i) =>
      check({ check: `check-${i}`, group: `group-${i % 20}`, status: i % 50 === 0 ? 'unhealthy' : 'healthy', last: i % 50 === 0 ? { at: NOW - 1000, ok: false, durationMs: 2, reason: 'connection_refused', message: 'refused' } : { at: NOW - 1000, ok: true, durationMs: 20 } }),
    );
    const m = model(checks);
    // The best of a few, so a busy machine does not fail it; bench/status-page.js has the numbers.
    let page = '';
    let ms = Infinity;
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      page = renderStatusPage(m);
      ms = Math.min(ms, performance.now() - t0);
    }
    expect(page.match(/<li class="check"/g)).toHaveLength(1000);
    expect(groupChecks(checks)).toHaveLength(20);
    expect(ms).toBeLessThan(250);
  });
});
