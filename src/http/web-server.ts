// The listening server: plain HTTP, or HTTPS when the web config has tls_server_config, with
// exporter-toolkit's client_auth_type semantics. A reload swaps certificates in place (renewals
// need no restart); turning TLS on or off takes a restart.
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { WebConfig } from '../config/config.js';

type Tls = NonNullable<WebConfig['tls']>;

function tlsOptions(tls: Tls): ServerOptions {
  const requestCert = tls.clientAuthType !== 'NoClientCert';
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
    requestCert,
    // Only RequireAndVerifyClientCert is enforced by the handshake itself; the others are below.
    rejectUnauthorized: tls.clientAuthType === 'RequireAndVerifyClientCert',
  };
}

export function createWebServer(handler: RequestListener, web: WebConfig | undefined): Server {
  const tls = web?.tls;
  if (!tls) return createHttpServer(handler);
  const clientAuth = tls.clientAuthType;
  const server = createHttpsServer(tlsOptions(tls), handler);
  server.on('secureConnection', (socket: TLSSocket) => {
    const presented = Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
    // RequireAnyClientCert: some certificate, verified or not; VerifyClientCertIfGiven: none, or a verified one.
    if ((clientAuth === 'RequireAnyClientCert' && !presented) || (clientAuth === 'VerifyClientCertIfGiven' && presented && !socket.authorized)) {
      socket.destroy();
    }
  });
  (server as WebServer).updateTls = (next: Tls) => {
    // Whether a client certificate is asked for and verified is fixed when the server is made.
    if (next.clientAuthType !== clientAuth) return false;
    server.setSecureContext(tlsOptions(next));
    return true;
  };
  return server as unknown as Server;
}

interface WebServer {
  updateTls?(tls: Tls): boolean;
}

/**
 * Applies a reloaded web config's certificates and versions; false when the change needs a
 * restart (TLS turned on or off, or another client_auth_type).
 */
export function updateWebServer(server: Server, web: WebConfig | undefined): boolean {
  const update = (server as WebServer).updateTls;
  if (!web?.tls) return update === undefined;
  if (!update) return false;
  return update(web.tls);
}
