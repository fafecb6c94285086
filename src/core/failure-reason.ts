// The closed list of reasons a check can fail for. Safe as a metric label: a probe maps every
// error it meets onto one of these and keeps the human detail in `message`.
export const FAILURE_REASONS = [
  'timeout',
  'connection_refused',
  'connection_reset',
  'network_unreachable',
  'dns_error',
  'tls_error',
  'cert_expired',
  'auth_failed',
  'status_mismatch',
  'body_mismatch',
  'condition_failed',
  'query_failed',
  'redirect_limit',
  'protocol_error',
  'too_large',
  'internal_error',
  'heartbeat_missed',
  'job_failed',
  // exec: the command could not be started, was killed by a signal, or reported Nagios UNKNOWN.
  'exec_error',
  // process: the process is not there (or only as a zombie).
  'not_running',
] as const;

export type FailureReason = (typeof FAILURE_REASONS)[number];

interface ErrnoLike {
  code?: unknown;
  name?: unknown;
  message?: unknown;
}

/** Maps a Node.js socket, DNS or TLS error onto a reason. */
export function reasonFromError(err: unknown): FailureReason {
  const e = (err ?? {}) as ErrnoLike;
  const code = typeof e.code === 'string' ? e.code : '';
  if (e.name === 'AbortError' || e.name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'ETIMEOUT' || code === 'ECANCELLED' || code === 'ERR_SOCKET_CONNECTION_TIMEOUT' || code === 'ABORT_ERR') {
    return 'timeout';
  }
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection_refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return 'connection_reset';
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
    case 'EADDRNOTAVAIL':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      return 'network_unreachable';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NODATA':
    case 'EAI_NONAME':
    case 'ENODATA':
    case 'ESERVFAIL':
    case 'EREFUSED':
    case 'ENOTIMP':
    case 'EFORMERR':
    case 'EBADRESP':
    case 'ECONNREFUSED_DNS':
      return 'dns_error';
    case 'CERT_HAS_EXPIRED':
      return 'cert_expired';
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_VERSION':
    case 'HPE_INVALID_STATUS':
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_CR_EXPECTED':
    case 'HPE_LF_EXPECTED':
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_HEADER_OVERFLOW':
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 'protocol_error';
    default:
      break;
  }
  if (code.startsWith('HPE_')) return 'protocol_error';
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || TLS_CODES.has(code)) return 'tls_error';
  return 'internal_error';
}

// OpenSSL verification codes that Node surfaces on `err.code`.
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);
