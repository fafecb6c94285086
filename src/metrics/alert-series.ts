// ALERTS and ALERTS_FOR_STATE on /metrics: the pending and firing alerts of every alerting rule,
// as Prometheus writes them to its own storage.
import type { RuleGroup } from '../rules/rule-group.js';
import { escapeHelp, escapeLabelValue, formatValue, type ExpositionFormat } from './exposition.js';

const FAMILIES = [
  { name: 'ALERTS', help: 'Pending and firing alerts: 1 per alert, with alertstate.' },
  { name: 'ALERTS_FOR_STATE', help: 'When each pending or firing alert became active, in unix seconds.' },
] as const;

export function renderAlertSeries(groups: readonly RuleGroup[], format: ExpositionFormat): string {
  const lines: [string[], string[]] = [[], []];
  for (const g of groups) {
    for (const r of g.rules) {
      for (const a of r.alerts.values()) {
        if (a.state === 'inactive') continue;
        let labels = '';
        for (const k of Object.keys(a.labels).sort()) labels += `${labels === '' ? '' : ','}${k}="${escapeLabelValue(a.labels[k]!)}"`;
        lines[0].push(`ALERTS{${labels},alertstate="${a.state}"} 1\n`);
        lines[1].push(`ALERTS_FOR_STATE{${labels}} ${formatValue(a.activeAt / 1000)}\n`);
      }
    }
  }
  const om = format === 'openmetrics';
  return FAMILIES.map((f, i) => `# HELP ${f.name} ${escapeHelp(f.help, om)}\n# TYPE ${f.name} gauge\n${lines[i]!.join('')}`).join('');
}
