// The kinds table plugged into the alerting config: `<kind>_configs` blocks are validated by
// each kind's schema at load, with every problem at its path.
import { describe, expect, it } from 'vitest';
import { formatPath, fromZodIssue, type ConfigIssue } from '../../config/issues.js';
import { SECRET_KEYS } from '../../core/secret-keys.js';
import { alertingSchema, resolveAlerting } from '../alerting-config.js';
import { RECEIVER_KINDS } from './index.js';
import { fixture } from '../../../test/helpers/receivers.js';

function load(block: unknown) {
  const issues: ConfigIssue[] = [];
  const config = resolveAlerting(alertingSchema.parse(block), RECEIVER_KINDS, issues, fromZodIssue);
  return { config, issues: issues.map((i) => `${formatPath(i.path)}: ${i.message}`) };
}

describe('receiver kinds', () => {
  it('are keyed by their own names', () => {
    for (const [name, kind] of Object.entries(RECEIVER_KINDS)) expect(kind.kind).toBe(name);
  });

  it('load from the alerting block and render', () => {
    const { config, issues } = load({
      receivers: [
        {
          name: 'core',
          webhook_configs: [{ url: 'http://127.0.0.1:9000/in' }],
          slack_configs: [{ url: 'https://hooks.slack.com/services/T/B/x' }],
          datadog_configs: [{ api_key: '0123456789abcdef0123456789abcdef', site: 'datadoghq.eu' }],
          pagerduty_configs: [{ routing_key: '0123456789abcdef0123456789abcdef' }],
          email_configs: [{ smarthost: 'smtp.example.com:587', from: 'hm@example.com', to: 'ops@example.com' }],
        },
      ],
    });
    expect(issues).toEqual([]);
    const integrations = config.receivers[0]!.integrations;
    expect(integrations.map((i) => i.kind)).toEqual(['webhook', 'slack', 'datadog', 'pagerduty', 'email']);
    for (const i of integrations) {
      const kind = RECEIVER_KINDS[i.kind as keyof typeof RECEIVER_KINDS];
      expect(kind.render(fixture(), i.settings as never)).toHaveLength(1);
    }
  });

  it('report every problem with its path, secrets never shown', () => {
    const { issues } = load({
      receivers: [
        {
          name: 'core',
          datadog_configs: [{ api_key: 'too-short-secret', site: 'datadoghq.co' }],
          pagerduty_configs: [{ routing_key: 'short-routing-secret' }],
          slack_configs: [{ url: 'hooks.slack.com/services/T/B/slack-secret' }],
        },
      ],
    });
    expect(issues).toEqual([
      'alerting.receivers[0].datadog_configs[0].api_key: expected a Datadog API key of 32 letters and digits, got 16 characters',
      'alerting.receivers[0].datadog_configs[0].site: expected one of "datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu", "ap1.datadoghq.com", "ap2.datadoghq.com", "ddog-gov.com", got "datadoghq.co"',
      'alerting.receivers[0].pagerduty_configs[0].routing_key: expected a PagerDuty integration (routing) key of 32 characters, got 20 characters',
      'alerting.receivers[0].slack_configs[0].url: expected a Slack incoming-webhook URL like https://hooks.slack.com/services/…, got a string that is not one (the value is not shown: it may hold a secret)',
    ]);
    for (const secret of ['too-short-secret', 'short-routing-secret', 'slack-secret']) expect(issues.join('\n')).not.toContain(secret);
  });

  it('name their secret settings with keys the config loader treats as secrets (<key>_file works)', () => {
    for (const key of ['url', 'api_key', 'api_url', 'routing_key', 'auth_password', 'bearer_token', 'password']) expect(SECRET_KEYS.has(key)).toBe(true);
  });
});
