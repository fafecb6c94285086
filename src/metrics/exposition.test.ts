import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { negotiate, render, type Snapshot } from './exposition.js';

async function snapshot(): Promise<Snapshot> {
  const registry = new Registry();
  new Counter({ name: 'demo_requests_total', help: 'Requests.', labelNames: ['code'], registers: [registry] }).inc({ code: '200' }, 3);
  new Gauge({ name: 'demo_info', help: 'Help with a \\ backslash\nand "quotes".', labelNames: ['v'], registers: [registry] }).set(
    { v: 'a "quoted" \\ value\nwith newline' },
    1,
  );
  new Histogram({ name: 'demo_seconds', help: 'Durations.', buckets: [0.5, 1, 2], registers: [registry] }).observe(0.7);
  return (await registry.getMetricsAsJSON()) as Snapshot;
}

describe('exposition', () => {
  it('renders text 0.0.4 with escaped label values and unescaped quotes in HELP', async () => {
    expect(render(await snapshot(), 'text')).toBe(
      [
        '# HELP demo_requests_total Requests.',
        '# TYPE demo_requests_total counter',
        'demo_requests_total{code="200"} 3',
        '# HELP demo_info Help with a \\\\ backslash\\nand "quotes".',
        '# TYPE demo_info gauge',
        'demo_info{v="a \\"quoted\\" \\\\ value\\nwith newline"} 1',
        '# HELP demo_seconds Durations.',
        '# TYPE demo_seconds histogram',
        'demo_seconds_bucket{le="0.5"} 0',
        'demo_seconds_bucket{le="1"} 1',
        'demo_seconds_bucket{le="2"} 1',
        'demo_seconds_bucket{le="+Inf"} 1',
        'demo_seconds_sum 0.7',
        'demo_seconds_count 1',
        '',
      ].join('\n'),
    );
  });

  it('renders OpenMetrics with counter families without _total, canonical le and # EOF', async () => {
    const om = render(await snapshot(), 'openmetrics');
    expect(om).toContain('# TYPE demo_requests counter\ndemo_requests_total{code="200"} 3\n');
    expect(om).toContain('# HELP demo_info Help with a \\\\ backslash\\nand \\"quotes\\".\n');
    expect(om).toContain('demo_seconds_bucket{le="1.0"} 1\n');
    expect(om).toContain('demo_seconds_bucket{le="0.5"} 0\n');
    expect(om.endsWith('# EOF\n')).toBe(true);
  });

  it.each([
    [undefined, 'text'],
    ['*/*', 'text'],
    ['text/plain;version=0.0.4;q=0.2,*/*;q=0.1', 'text'],
    ['application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1', 'openmetrics'],
  ])('negotiates %s as %s', (accept, format) => {
    expect(negotiate(accept)).toBe(format);
  });
});
