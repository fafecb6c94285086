// Target strings as GET /probe?target=… gives them (blackbox_exporter's style), turned into the
// fields of a kind's block.

/** `host:port` or `[v6]:port` as `{host, port}`; the port is left out when not given. */
export function hostPortFields(target: string): { host: string; port?: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(target) ?? /^([^:]+)(?::(\d+))?$/.exec(target);
  if (!m) return { host: target };
  return m[2] === undefined ? { host: m[1]! } : { host: m[1]!, port: Number(m[2]) };
}
