// The web config file (server.web_config_file) in Prometheus exporter-toolkit's format: TLS for
// the server and HTTP basic auth with bcrypt hashes, so the same file serves node_exporter and
// healthmon. Read and checked at config load, files and all, with each problem's file:line.
import { dirname, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { z } from 'zod';
import type { ClientAuthType, TlsVersion, WebConfig } from './config.js';
import { formatPath, fromZodIssue, type ConfigIssue } from './issues.js';
import { parseConfigText, type ConfigSource, type ExpandDeps } from './source.js';

const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const satisfies Record<string, TlsVersion>;
const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const satisfies readonly ClientAuthType[];
// exporter-toolkit lets only these response headers be set.
const HEADERS = ['Content-Security-Policy', 'X-Frame-Options', 'X-Content-Type-Options', 'X-XSS-Protection', 'Strict-Transport-Security'];
// exporter-toolkit settings that healthmon does not implement: named as such rather than as typos.
const UNSUPPORTED = new Set(['cert', 'key', 'client_ca', 'cipher_suites', 'curve_preferences', 'prefer_server_cipher_suites', 'client_allowed_sans', 'http2', 'rate_limit']);
/** A bcrypt hash as `htpasswd -nBC 10` or Python's bcrypt writes it. */
const BCRYPT = /^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$/;

const webConfigSchema = z.strictObject({
  tls_server_config: z
    .strictObject({
      cert_file: z.string().min(1).optional(),
      key_file: z.string().min(1).optional(),
      client_auth_type: z.enum(CLIENT_AUTH_TYPES).optional(),
      client_ca_file: z.string().min(1).optional(),
      min_version: z.enum(Object.keys(TLS_VERSIONS) as [keyof typeof TLS_VERSIONS]).optional(),
      max_version: z.enum(Object.keys(TLS_VERSIONS) as [keyof typeof TLS_VERSIONS]).optional(),
    })
    .optional(),
  http_server_config: z.strictObject({ headers: z.record(z.string(), z.string()).optional() }).optional(),
  basic_auth_users: z.record(z.string().min(1), z.string()).nullable().optional(),
});

export type WebConfigResult = { ok: true; config: WebConfig } | { ok: false; problems: string[] };

/** Reads and checks the web config at `file` (absolute); every problem is reported, each with file:line. */
export function loadWebConfig(file: string, deps: ExpandDeps): WebConfigResult {
  let text: string;
  try {
    text = deps.readFile(file);
  } catch (err) {
    return { ok: false, problems: [`${file}: cannot read the web config file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`] };
  }
  const parsed = parseConfigText(text, file, deps);
  if (!parsed.ok) return { ok: false, problems: parsed.problems };
  const { source } = parsed;
  const issues = [...parsed.issues];
  let result = webConfigSchema.safeParse(source.value ?? {}, { reportInput: true });
  if (!result.success) {
    for (const issue of result.error.issues.flatMap((i) => fromZodIssue(i))) {
      if (issue.key !== undefined && UNSUPPORTED.has(issue.key)) issues.push({ ...issue, message: `"${issue.key}" is an exporter-toolkit setting that healthmon does not support` });
      else issues.push(issue);
    }
    // Only unknown keys: the rest is still checked (files, hashes), so one run shows every problem.
    if (result.error.issues.every((i) => i.code === 'unrecognized_keys')) result = webConfigSchema.safeParse(withoutKeys(source.value, result.error.issues));
  }
  if (!result.success) return { ok: false, problems: issues.map((i) => describe(source, i)) };

  const raw = result.data;
  const baseDir = dirname(file);
  const read = (path: IssuePathLike, name: string): string | undefined => {
    try {
      return deps.readFile(resolve(baseDir, name));
    } catch (err) {
      issues.push({ path, message: `cannot read ${JSON.stringify(name)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return undefined;
    }
  };

  let tls: WebConfig['tls'];
  const t = raw.tls_server_config;
  if (t) {
    const at = (field: string) => ['tls_server_config', field];
    if (t.cert_file === undefined) issues.push({ path: at('cert_file'), message: 'required: the server certificate (PEM) file' });
    if (t.key_file === undefined) issues.push({ path: at('key_file'), message: 'required: the server key (PEM) file' });
    // As exporter-toolkit: a client CA alone means clients must present a certificate it signed.
    const clientAuthType = t.client_auth_type ?? (t.client_ca_file === undefined ? 'NoClientCert' : 'RequireAndVerifyClientCert');
    if ((clientAuthType === 'VerifyClientCertIfGiven' || clientAuthType === 'RequireAndVerifyClientCert') && t.client_ca_file === undefined) {
      issues.push({ path: at('client_auth_type'), message: `${clientAuthType} needs client_ca_file to verify client certificates against` });
    }
    const minVersion = TLS_VERSIONS[t.min_version ?? 'TLS12'];
    const maxVersion = TLS_VERSIONS[t.max_version ?? 'TLS13'];
    if (minVersion > maxVersion) issues.push({ path: at('max_version'), message: `max_version ${t.max_version} is below min_version ${t.min_version ?? 'TLS12'}` });
    const cert = t.cert_file === undefined ? undefined : read(at('cert_file'), t.cert_file);
    const key = t.key_file === undefined ? undefined : read(at('key_file'), t.key_file);
    const ca = t.client_ca_file === undefined ? undefined : read(at('client_ca_file'), t.client_ca_file);
    if (cert !== undefined && key !== undefined) {
      try {
        createSecureContext({ cert, key, ...(ca === undefined ? {} : { ca }) });
      } catch (err) {
        issues.push({ path: at('cert_file'), message: `the certificate, key${ca === undefined ? '' : ' and client CA'} do not load together: ${(err as Error).message}` });
      }
    }
    if (cert !== undefined && key !== undefined && t.cert_file !== undefined && t.key_file !== undefined) {
      tls = {
        certFile: resolve(baseDir, t.cert_file),
        keyFile: resolve(baseDir, t.key_file),
        cert,
        key,
        clientAuthType,
        ...(t.client_ca_file === undefined || ca === undefined ? {} : { clientCaFile: resolve(baseDir, t.client_ca_file), ca }),
        minVersion,
        maxVersion,
      };
    }
  }

  const basicAuthUsers: Record<string, string> = {};
  for (const [user, hash] of Object.entries(raw.basic_auth_users ?? {})) {
    // The value is never shown: a plain password written by mistake must not reach a log.
    if (!BCRYPT.test(hash)) issues.push({ path: ['basic_auth_users', user], message: `expected a bcrypt hash like "$2y$10$…" (htpasswd -nBC 10 ${user}), got something else` });
    else basicAuthUsers[user] = hash;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw.http_server_config?.headers ?? {})) {
    const known = HEADERS.find((h) => h.toLowerCase() === name.toLowerCase());
    if (!known) issues.push({ path: ['http_server_config', 'headers', name], key: name, message: `only these headers can be set: ${HEADERS.join(', ')}` });
    else headers[known] = value;
  }
  if (issues.length > 0) return { ok: false, problems: issues.map((i) => describe(source, i)) };
  return { ok: true, config: { file, ...(tls ? { tls } : {}), basicAuthUsers, headers } };
}

type IssuePathLike = ConfigIssue['path'];

function withoutKeys(value: unknown, unknown: ReadonlyArray<{ path: PropertyKey[]; keys?: string[] }>): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  for (const issue of unknown) {
    let node: unknown = copy;
    for (const part of issue.path) node = (node as Record<PropertyKey, unknown> | undefined)?.[part];
    if (node && typeof node === 'object') for (const k of issue.keys ?? []) delete (node as Record<string, unknown>)[k];
  }
  return copy;
}

function describe(source: ConfigSource, issue: ConfigIssue): string {
  const line = source.lineOf(issue.path, issue.key);
  return `${formatPath(issue.path)} (${source.file}${line === undefined ? '' : `:${line}`}): ${issue.message}`;
}
