// The status page in a real browser (Debian's chromium, driven by playwright-core): no console
// errors under its own Content-Security-Policy, accessible (labels, headings, contrast, keyboard),
// no horizontal scroll on a 375-px phone, and it refreshes itself in place. First against the
// route with fixture data, then the whole app with a real HTTP target that is taken down.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { systemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';
import { PROBE_KINDS } from '../src/probes/index.js';
import { statusPage, type StatusPageDeps } from '../src/http/status-page.js';
import type { Router } from '../src/alerting/router.js';
import type { Assessment, CheckAssessment } from '../src/state/assessment.js';
import { createMemoryHistory } from '../src/store/history-memory.js';
import { check, overallOf } from './helpers/status-page-fixtures.js';
import { findPeer } from './helpers/peers.js';

const executablePath = findPeer('chromium');

// The page's globals, for the functions that run inside Chromium: the project compiles without the
// DOM library, so the little used here is declared (in this module only).
interface El {
  tagName: string;
  id: string;
  textContent: string | null;
  parentElement: El | null;
  offsetParent: unknown;
  open: boolean;
  closest(selector: string): El | null;
  getAttribute(name: string): string | null;
}
declare const document: {
  documentElement: El & { lang: string; scrollWidth: number };
  activeElement: El | null;
  title: string;
  querySelector(selector: string): El | null;
  querySelectorAll(selector: string): Iterable<El>;
};
declare const window: { innerWidth: number };
declare function getComputedStyle(el: El): { color: string; backgroundColor: string; outlineStyle: string };

/** Console errors, uncaught exceptions, failed requests and HTTP errors seen by a page. */
export function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return problems;
}

/** Facts about accessibility and layout, computed in the page. */
export async function audit(page: Page) {
  return page.evaluate(() => {
    const parse = (c: string) => {
      const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/.exec(c);
      if (!m) throw new Error(`cannot read colour ${c}`);
      return { rgb: [Number(m[1]), Number(m[2]), Number(m[3])], alpha: m[4] === undefined ? 1 : Number(m[4]) };
    };
    const lum = ([r, g, b]: number[]) =>
      [r!, g!, b!].map((v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4)).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i]!, 0);
    const ratio = (a: number[], b: number[]) => {
      const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
      return (x! + 0.05) / (y! + 0.05);
    };
    /** The first opaque background at or behind an element. */
    const background = (el: El | null): number[] => {
      for (let e = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c.alpha === 1) return c.rgb;
      }
      return [255, 255, 255];
    };
    const contrastOf = (el: El) => ratio(parse(getComputedStyle(el).color).rgb, background(el));
    const badges = [...document.querySelectorAll('.st, .banner')].map((el) => ({ text: el.textContent ?? '', contrast: contrastOf(el) }));
    const texts = [...document.querySelectorAll('h1, h2, h3, p, dt, dd, td, th, summary, a, figcaption, button, caption')]
      .filter((el) => el.offsetParent !== null && (el.textContent ?? '').trim() !== '' && !el.closest('.vh'))
      .map((el) => ({ text: (el.textContent ?? '').slice(0, 40), contrast: contrastOf(el) }));
    const graphics = [...document.querySelectorAll('svg')].map((svg) => ({
      role: svg.getAttribute('role'),
      label: svg.getAttribute('aria-label') ?? '',
      hidden: svg.getAttribute('aria-hidden') === 'true',
    }));
    const images = [...document.querySelectorAll('img')].map((img) => img.getAttribute('alt'));
    const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map((h) => Number(h.tagName[1]));
    const unlabelled = [...document.querySelectorAll('button, a, summary, input, select, textarea')].filter((el) => (el.textContent ?? '').trim() === '' && !el.getAttribute('aria-label')).length;
    const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);
    return {
      lang: document.documentElement.lang,
      title: document.title,
      badges,
      texts,
      graphics,
      images,
      headings,
      unlabelled,
      duplicateIds: ids.filter((id, i) => ids.indexOf(id) !== i),
      landmarks: ['header', 'main', 'footer', 'nav'].filter((t) => document.querySelector(t)),
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    };
  });
}

type Audit = Awaited<ReturnType<typeof audit>>;

export function expectAccessible(a: Audit) {
  expect(a.lang).toBe('en');
  expect(a.headings[0]).toBe(1);
  expect(a.headings.filter((h) => h === 1)).toHaveLength(1);
  // No level skipped on the way down.
  for (let i = 1; i < a.headings.length; i++) expect(a.headings[i]! - a.headings[i - 1]!).toBeLessThanOrEqual(1);
  for (const g of a.graphics) expect(g.hidden || (g.role === 'img' && g.label.length > 10), JSON.stringify(g)).toBe(true);
  for (const alt of a.images) expect(alt).not.toBeNull();
  expect(a.unlabelled).toBe(0);
  expect(a.duplicateIds).toEqual([]);
  expect(a.badges.length).toBeGreaterThan(0);
  for (const b of a.badges) expect(b.contrast, `status "${b.text}"`).toBeGreaterThanOrEqual(4.5);
  for (const t of a.texts) expect(t.contrast, `text "${t.text}"`).toBeGreaterThanOrEqual(4.5);
}

let browser: Browser;
beforeAll(async () => {
  if (executablePath) browser = await chromium.launch({ executablePath });
});
afterAll(async () => {
  await browser?.close();
});

describe.skipIf(!executablePath)('status page in Chromium, fixture data', () => {
  let server: Server;
  let base: string;
  let checks: CheckAssessment[];
  let failNext = false;
  const NOW = Date.UTC(2026, 4, 20, 12, 0, 0);

  beforeAll(async () => {
    const history = createMemoryHistory({ retention: { rawMs: 7 * 86_400_000, rollupMs: 400 * 86_400_000 } });
    for (let d = 0; d < 30; d++) {
      for (let i = 0; i < 24; i++) history.append({ check: 'api', at: NOW - d * 86_400_000 - i * 3_600_000, durationMs: 20 + ((d * 7 + i) % 30), ok: !(d === 4 && i < 3) });
    }
    const router = {
      alerts: () => [{ status: 'firing', labels: { alertname: 'CheckDown', check: 'db <primary>', severity: 'critical' }, annotations: { summary: 'db is down' }, startsAt: NOW - 600_000, generatorURL: '', fingerprint: 'x' }],
      silences: { list: () => [{ id: 's', matchers: ['team="ops"'], startsAt: NOW - 1000, endsAt: NOW + 3_600_000, createdBy: 'ops', comment: 'upgrade', updatedAt: 0, fromConfig: false }] },
    } as unknown as Router;
    const deps: StatusPageDeps = {
      logger: silentLogger(),
      now: () => NOW,
      assessor: () => ({
        assess: (now): Assessment => {
          if (failNext) throw new Error('assessment failed');
          return { at: now, checks, overall: overallOf(checks) };
        },
      }),
      history: () => history,
      router: () => router,
      minIntervalMs: () => 30_000,
    };
    const app = express();
    app.use(statusPage(deps));
    server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  const reset = () => {
    checks = [
      check({ check: 'api', group: 'web' }),
      check({ check: 'slow', group: 'web', status: 'degraded' }),
      check({ check: 'db <primary>', group: 'data & stores', status: 'critical', critical: true, last: { at: NOW - 3000, ok: false, durationMs: 5000, reason: 'timeout', message: '<script>alert("boom")</script> no answer' } }),
      check({ check: 'cache', group: 'data & stores', status: 'unhealthy', last: { at: NOW - 3000, ok: false, durationMs: 1, reason: 'connection_refused' } }),
      check({ check: 'a-very-long-check-name-without-any-spaces-'.repeat(5), group: 'web', target: `https://example.com/${'x'.repeat(300)}` }),
      check({ check: 'fresh', group: 'web', status: undefined, last: undefined, uptime: { '1h': undefined, '24h': undefined, '7d': undefined, '30d': undefined }, latency: undefined }),
    ];
  };

  let page: Page | undefined;
  afterEach(async () => {
    await page?.close();
    page = undefined;
  });

  it.each(['light', 'dark'] as const)('loads without console errors and is accessible in the %s scheme', async (colorScheme) => {
    reset();
    page = await browser.newPage({ colorScheme });
    const problems = watch(page);
    await page.goto(`${base}/?refresh=0`);
    // The hostile message is shown as text, not run.
    await expect.poll(() => page!.locator('#c-db_20__3c_primary_3e_ .last').textContent()).toContain('<script>alert("boom")</script> no answer');
    expectAccessible(await audit(page));
    expect(problems).toEqual([]);
  });

  it('fits a 375-px phone without horizontal scrolling', async () => {
    reset();
    page = await browser.newPage({ viewport: { width: 375, height: 800 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const problems = watch(page);
    await page.goto(`${base}/?refresh=0`);
    await page.locator('details').first().evaluate((d: El) => (d.open = true));
    for (const d of await page.locator('details').all()) await d.evaluate((el: El) => (el.open = true));
    const a = await audit(page);
    expect(a.scrollWidth).toBeLessThanOrEqual(a.innerWidth);
    expect(problems).toEqual([]);
  });

  it('is usable from the keyboard: skip link, then a check\'s details open with Enter', async () => {
    reset();
    page = await browser.newPage();
    await page.goto(`${base}/?refresh=0`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    let found = false;
    for (let i = 0; i < 60 && !found; i++) {
      await page.keyboard.press('Tab');
      found = await page.evaluate(() => document.activeElement?.id === 's-api');
    }
    expect(found).toBe(true);
    // The focus is visible.
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
    await page.keyboard.press('Enter');
    expect(await page.locator('#d-api').evaluate((d: El) => d.open)).toBe(true);
    await expect.poll(() => page!.locator('#d-api').innerText()).toContain('Days with failures');
  });

  it('refreshes in place, keeping open details and focus, and can be paused', async () => {
    reset();
    page = await browser.newPage();
    const problems = watch(page);
    await page.goto(`${base}/?refresh=1`);
    await page.locator('#s-api').focus();
    await page.keyboard.press('Enter');
    checks[0] = check({ check: 'api', group: 'web', status: 'unhealthy', last: { at: NOW - 1000, ok: false, durationMs: 3, reason: 'status_mismatch', message: 'status 503, expected 2xx' } });
    await expect.poll(() => page!.locator('#c-api .st').textContent(), { timeout: 5000 }).toContain('Unhealthy');
    await expect.poll(() => page!.locator('#c-api .last').textContent()).toContain('status_mismatch: status 503, expected 2xx');
    expect(await page.locator('#d-api').evaluate((d: El) => d.open)).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('s-api');
    expect(await page.locator('#live').textContent()).toMatch(/3 of 6 checks down/);
    expect(await page.title()).toBe('(Critical) healthmon status');
    // The time stamp follows every refresh.
    const stamp = await page.locator('#updated time').getAttribute('datetime');
    expect(stamp).toBe(new Date(NOW).toISOString());
    expect(await page.locator('#updated').count()).toBe(1);

    await page.locator('#pause').click();
    expect(await page.locator('#pause').getAttribute('aria-pressed')).toBe('true');
    checks[0] = check({ check: 'api', group: 'web' });
    await page.waitForTimeout(2500);
    expect(await page.locator('#c-api .st').textContent()).toContain('Unhealthy');
    await page.locator('#pause').click();
    await expect.poll(() => page!.locator('#c-api .st').textContent(), { timeout: 5000 }).toContain('Healthy');
    expect(problems).toEqual([]);
  });

  it('says visibly when a refresh fails, keeps the last content, and recovers', async () => {
    reset();
    page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/?refresh=1`);
    failNext = true;
    try {
      await expect.poll(() => page!.locator('#problem').textContent(), { timeout: 5000 }).toBe('Could not refresh: the server answered 500. Trying again.');
      expect(await page.locator('#problem').isVisible()).toBe(true);
      expect(await page.locator('#c-api .st').textContent()).toContain('Healthy');
    } finally {
      failNext = false;
    }
    await expect.poll(() => page!.locator('#problem').textContent(), { timeout: 5000 }).toBe('');
    expect(await page.locator('#problem').isVisible()).toBe(false);
    expect(errors).toEqual([]);
  });
});

describe.skipIf(!executablePath)('status page in Chromium, the whole app', () => {
  let app: App | undefined;
  let target: Server | undefined;
  afterEach(async () => {
    await app?.stop(0);
    app = undefined;
    if (target?.listening) await new Promise((r) => target!.close(r));
  });

  it('shows a healthy check, then the same check down with its reason within one refresh after its target goes away', async () => {
    target = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => target!.listen(0, '127.0.0.1', r));
    const targetPort = (target.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-status-page-'));
    const file = join(dir, 'healthmon.yaml');
    writeFileSync(file, `
server: {listen: "127.0.0.1:0"}
storage: {path: "${join(dir, 'data')}"}
host: {enabled: false}
global: {interval: 1s, timeout: 500ms, failure_threshold: 1}
checks:
  - name: web <frontend>
    kind: http
    group: public & site
    http: {url: "http://127.0.0.1:${targetPort}/"}
`);
    const load = () => loadConfig(file, { kinds: PROBE_KINDS, env: {} });
    // The app's own SQLite history, in the temp storage dir.
    app = createApp(load(), { clock: systemClock, logger: silentLogger(), kinds: PROBE_KINDS, build: { version: 't', nodeVersion: '20' }, loadConfig: load });
    const port = (await app.start())!;

    const page = await browser.newPage();
    const problems = watch(page);
    try {
      const item = page.locator('#c-web_20__3c_frontend_3e_');
      await page.goto(`http://127.0.0.1:${port}/?refresh=1`);
      // The first runs land within a second; the page catches up on its own.
      await expect.poll(() => item.locator('.st').textContent(), { timeout: 5000 }).toContain('Healthy');
      expect(await item.locator('.last').textContent()).toMatch(/: up, /);
      await expect.poll(() => item.locator('svg.bars').getAttribute('aria-label'), { timeout: 5000 }).toMatch(/: [12] at 100%, 2[89] without data$/);
      expect(await page.locator('h2', { hasText: 'public & site' }).count()).toBe(1);
      expectAccessible(await audit(page));

      const reloads: number[] = [];
      page.on('response', (r) => {
        if (new URL(r.url()).pathname === '/') reloads.push(Date.now());
      });
      target.closeAllConnections();
      await new Promise((r) => target!.close(r));
      const downAt = Date.now();
      // One check interval (1 s) for the probe to fail, one refresh (1 s) for the page, plus slack.
      await expect.poll(() => item.locator('.st').textContent(), { timeout: 4000, interval: 100 }).toContain('Unhealthy');
      expect(Date.now() - downAt).toBeLessThan(4000);
      expect(await item.locator('.last').textContent()).toMatch(/: down — connection_refused/);
      expect(await page.locator('#overall-text').textContent()).toContain('The only check is down');
      // Today's bar comes from history (written each second): it shows the failures too. (Near
      // midnight UTC, yesterday may hold a day of data too.)
      await expect.poll(() => item.locator('svg.bars').getAttribute('aria-label'), { timeout: 5000 }).toMatch(/, 1 with failures \(lowest [\d.]+% on \d{4}-\d\d-\d\d\), 2[89] without data$/);
      expect(await item.locator('.charts svg[role=img]').nth(1).getAttribute('aria-label')).toMatch(/^Latency of web <frontend>, last 24 hours \(hourly p95\): lowest [\d.]+ ms/);
      // The page refreshed itself in place, without a navigation.
      expect(reloads.length).toBeGreaterThan(0);
      expectAccessible(await audit(page));
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
