// Where checks registered through the API may point: never at link-local or cloud metadata
// addresses (the classic server-side request forgery targets), never into server.api's
// deny_networks, and only into its allow_networks when that list is given. Names are resolved and
// every address they resolve to must pass; a name that does not resolve is refused.
import { findNetwork, parseCidr, parseIp, type Cidr } from '../core/cidr.js';

export interface NetworkPolicySettings {
  allowNetworks: readonly string[];
  denyNetworks: readonly string[];
}

export interface NetworkPolicyDeps {
  /** Every address `host` resolves to (dns.lookup with all: true in production). */
  lookup(host: string): Promise<string[]>;
}

export interface NetworkPolicy {
  /** Why probing this address is refused; undefined when it is allowed. Synchronous, for the dialer. */
  refuseAddress(address: string): string | undefined;
  /** Why probing these hosts (names or addresses) is refused; undefined when all are allowed. */
  check(hosts: readonly string[]): Promise<string | undefined>;
}

const builtIn = (text: string, why: string) => ({ net: parseCidr(text)!, why });

// Checked in order, so a metadata address is named as such before its link-local network is.
const ALWAYS_REFUSED = [
  builtIn('169.254.169.254/32', 'a cloud metadata address (AWS, GCP, Azure, OpenStack, Oracle)'),
  builtIn('fd00:ec2::254/128', 'a cloud metadata address (AWS, IPv6)'),
  builtIn('100.100.100.200/32', 'a cloud metadata address (Alibaba Cloud)'),
  builtIn('169.254.0.0/16', 'link-local (169.254.0.0/16)'),
  builtIn('fe80::/10', 'link-local (fe80::/10)'),
  builtIn('64:ff9b::a9fe:0/112', 'link-local through NAT64 (64:ff9b::169.254.0.0/112)'),
  builtIn('0.0.0.0/8', 'an unspecified address, which reaches this host'),
  builtIn('::/128', 'an unspecified address, which reaches this host'),
];

// Names of metadata services, refused whatever they resolve to here.
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal', 'metadata.azure.internal']);

const cidrs = (list: readonly string[]): Cidr[] => list.map((t) => parseCidr(t)).filter((c): c is Cidr => c !== undefined);

export function createNetworkPolicy(settings: NetworkPolicySettings, deps: NetworkPolicyDeps): NetworkPolicy {
  const allow = cidrs(settings.allowNetworks);
  const deny = cidrs(settings.denyNetworks);

  const refuseAddress = (address: string): string | undefined => {
    const bytes = parseIp(address);
    if (!bytes) return `${address} is not an IP address`;
    const fixed = ALWAYS_REFUSED.find((r) => findNetwork([r.net], bytes));
    if (fixed) return `${address} is ${fixed.why}`;
    const denied = findNetwork(deny, bytes);
    if (denied) return `${address} is in deny_networks ${denied.text}`;
    if (allow.length > 0 && !findNetwork(allow, bytes)) return `${address} is not in allow_networks (${allow.map((c) => c.text).join(', ')})`;
    return undefined;
  };

  const checkHost = async (host: string): Promise<string | undefined> => {
    const name = host.replace(/^\[(.*)\]$/, '$1');
    if (parseIp(name)) {
      const why = refuseAddress(name);
      return why && `target host ${JSON.stringify(host)} is refused: ${why}`;
    }
    const canonical = name.toLowerCase().replace(/\.$/, '');
    if (METADATA_NAMES.has(canonical)) return `target host ${JSON.stringify(host)} is refused: it names a cloud metadata service`;
    let addresses: string[];
    try {
      addresses = await deps.lookup(name);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      return `target host ${JSON.stringify(host)} is refused: it does not resolve (${code}), so it cannot be checked against the network policy`;
    }
    if (addresses.length === 0) return `target host ${JSON.stringify(host)} is refused: it resolves to no address`;
    for (const a of addresses) {
      const why = refuseAddress(a);
      if (why) return `target host ${JSON.stringify(host)} is refused: it resolves to ${why.replace(/^(\S+) is /, '$1, which is ')}`;
    }
    return undefined;
  };

  return {
    refuseAddress,
    async check(hosts) {
      for (const h of hosts) {
        const why = await checkHost(h);
        if (why) return why;
      }
      return undefined;
    },
  };
}

/**
 * The hosts a kind's resolved settings point at: `url` (http), `host` (tcp, tls, redis, grpc,
 * postgres) and `server.host` (dns). Kinds keep these names, so one reading serves them all;
 * a kind that has targets but none of these is refused by the caller, not waved through.
 */
export function targetHosts(settings: unknown): string[] {
  if (!settings || typeof settings !== 'object') return [];
  const s = settings as Record<string, unknown>;
  const hosts: string[] = [];
  if (s.url instanceof URL) hosts.push(s.url.hostname);
  else if (typeof s.url === 'string') {
    try {
      hosts.push(new URL(s.url).hostname);
    } catch {
      // not a URL: nothing to point at
    }
  }
  if (typeof s.host === 'string' && s.host !== '') hosts.push(s.host);
  const server = s.server as Record<string, unknown> | undefined;
  if (server && typeof server === 'object' && typeof server.host === 'string') hosts.push(server.host);
  return [...new Set(hosts.map((h) => h.replace(/^\[(.*)\]$/, '$1')))];
}
