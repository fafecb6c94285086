import { describe, expect, it } from 'vitest';
import { PROBE_KINDS } from '../probes/index.js';
import { createNetworkPolicy, targetHosts } from './network-policy.js';

const names: Record<string, string[]> = {
  'api.example.test': ['192.0.2.10'],
  'sneaky.example.test': ['192.0.2.11', '169.254.169.254'],
  'v6.example.test': ['2001:db8::5'],
};
const lookup = async (host: string) => {
  const found = names[host];
  if (!found) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return found;
};
const policy = (allowNetworks: string[] = [], denyNetworks: string[] = []) => createNetworkPolicy({ allowNetworks, denyNetworks }, { lookup });

describe('network policy', () => {
  it.each([
    ['169.254.169.254', 'target host "169.254.169.254" is refused: 169.254.169.254 is a cloud metadata address (AWS, GCP, Azure, OpenStack, Oracle)'],
    ['169.254.1.1', 'target host "169.254.1.1" is refused: 169.254.1.1 is link-local (169.254.0.0/16)'],
    ['fe80::1', 'target host "fe80::1" is refused: fe80::1 is link-local (fe80::/10)'],
    ['[fe80::1]', 'target host "[fe80::1]" is refused: fe80::1 is link-local (fe80::/10)'],
    ['fd00:ec2::254', 'target host "fd00:ec2::254" is refused: fd00:ec2::254 is a cloud metadata address (AWS, IPv6)'],
    ['::ffff:169.254.169.254', 'target host "::ffff:169.254.169.254" is refused: ::ffff:169.254.169.254 is a cloud metadata address (AWS, GCP, Azure, OpenStack, Oracle)'],
    ['0.0.0.0', 'target host "0.0.0.0" is refused: 0.0.0.0 is an unspecified address, which reaches this host'],
    ['metadata.google.internal', 'target host "metadata.google.internal" is refused: it names a cloud metadata service'],
    ['Metadata.Google.Internal.', 'target host "Metadata.Google.Internal." is refused: it names a cloud metadata service'],
    ['sneaky.example.test', 'target host "sneaky.example.test" is refused: it resolves to 169.254.169.254, which is a cloud metadata address (AWS, GCP, Azure, OpenStack, Oracle)'],
    ['nowhere.example.test', 'target host "nowhere.example.test" is refused: it does not resolve (ENOTFOUND), so it cannot be checked against the network policy'],
  ])('refuses %s by default', async (host, message) => {
    expect(await policy().check([host])).toBe(message);
  });

  it.each(['127.0.0.1', '::1', '10.1.2.3', 'api.example.test', 'v6.example.test'])('allows %s by default', async (host) => {
    expect(await policy().check([host])).toBeUndefined();
  });

  it('refuses deny_networks, names that resolve into them included', async () => {
    const p = policy([], ['192.0.2.0/24', '10.0.0.0/8']);
    expect(await p.check(['10.9.9.9'])).toBe('target host "10.9.9.9" is refused: 10.9.9.9 is in deny_networks 10.0.0.0/8');
    expect(await p.check(['api.example.test'])).toBe('target host "api.example.test" is refused: it resolves to 192.0.2.10, which is in deny_networks 192.0.2.0/24');
    expect(await p.check(['v6.example.test'])).toBeUndefined();
  });

  it('with allow_networks, allows only those, and still never metadata', async () => {
    const p = policy(['192.0.2.0/24', '169.254.0.0/16']);
    expect(await p.check(['api.example.test'])).toBeUndefined();
    expect(await p.check(['127.0.0.1'])).toBe('target host "127.0.0.1" is refused: 127.0.0.1 is not in allow_networks (192.0.2.0/24, 169.254.0.0/16)');
    expect(await p.check(['169.254.169.254'])).toMatch(/cloud metadata address/);
    expect(await p.check(['api.example.test', '10.0.0.1'])).toMatch(/^target host "10\.0\.0\.1" is refused/);
  });

  it('judges single addresses for the dialer, synchronously', () => {
    const p = policy([], ['127.0.0.0/8']);
    expect(p.refuseAddress('127.0.0.1')).toBe('127.0.0.1 is in deny_networks 127.0.0.0/8');
    expect(p.refuseAddress('::ffff:127.0.0.1')).toBe('::ffff:127.0.0.1 is in deny_networks 127.0.0.0/8');
    expect(p.refuseAddress('192.0.2.1')).toBeUndefined();
  });
});

describe('targetHosts', () => {
  const parse = (kind: keyof typeof PROBE_KINDS, block: unknown) => targetHosts(PROBE_KINDS[kind].schema.parse(block));
  it.each([
    ['http', { url: 'http://api.example.test:8080/health' }, ['api.example.test']],
    ['http', { url: 'https://[fe80::1]/x' }, ['fe80::1']],
    ['tcp', { host: '10.0.0.1', port: 22 }, ['10.0.0.1']],
    ['tls', { host: 'secure.example.test' }, ['secure.example.test']],
    ['redis', { host: 'cache' }, ['cache']],
    ['grpc', { host: 'grpc.example.test', port: 50051 }, ['grpc.example.test']],
    ['postgres', { url: 'postgres://u@db.example.test/app' }, ['db.example.test']],
    ['dns', { name: 'example.com', server: '169.254.169.254' }, ['169.254.169.254']],
    ['dns', { name: 'example.com' }, []],
  ] as const)('%s %j → %j', (kind, block, hosts) => {
    expect(parse(kind, block)).toEqual(hosts);
  });
});
