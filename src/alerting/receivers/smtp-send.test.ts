// The e-mail sender against a real SMTP server (the smtp-server package) on 127.0.0.1:0.
import net, { type AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { emailKind } from './email.js';
import { sendEmail } from './smtp-send.js';
import { fixture } from '../../../test/helpers/receivers.js';
import type { EmailDelivery, SendOutcome } from './types.js';

const PASSWORD = 'smtp-pass-secret-42';

interface Received {
  from: string;
  to: string[];
  user: unknown;
  secure: boolean;
  raw: string;
}

interface Mailbox {
  port: number;
  received: Received[];
  close(): Promise<void>;
}

const servers: Mailbox[] = [];

async function startSmtp(options: Partial<SMTPServerOptions> = {}): Promise<Mailbox> {
  const received: Received[] = [];
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    onAuth(auth, _session, cb) {
      if (auth.username === 'healthmon' && auth.password === PASSWORD) cb(null, { user: auth.username });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session: SMTPServerSession, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user,
          secure: session.secure,
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        cb();
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const box: Mailbox = {
    port: (server.server.address() as AddressInfo).port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  servers.push(box);
  return box;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const errors: string[] = [];

function delivery(port: number, block: Record<string, unknown> = {}): EmailDelivery {
  const settings = emailKind.schema.parse({
    smarthost: `127.0.0.1:${port}`,
    from: 'healthmon@example.com',
    to: ['ops@example.com', 'Core <core@example.com>'],
    require_tls: false,
    send_resolved: true,
    timeout: '2s',
    ...block,
  });
  return emailKind.render(fixture(), settings)[0]!;
}

async function send(d: EmailDelivery): Promise<SendOutcome> {
  const out = await sendEmail(d, { secrets: [] });
  if (out.outcome !== 'ok') errors.push(out.error);
  return out;
}

describe('sendEmail', () => {
  it('delivers the rendered mail: envelope, subject, text and HTML parts', async () => {
    const box = await startSmtp();
    expect(await send(delivery(box.port))).toEqual({ outcome: 'ok' });
    expect(box.received).toHaveLength(1);
    const m = box.received[0]!;
    expect(m.from).toBe('healthmon@example.com');
    expect(m.to).toEqual(['ops@example.com', 'core@example.com']);
    expect(m.secure).toBe(false);
    expect(m.raw).toContain('Subject: [FIRING:2] ServiceDown (team=core)');
    expect(m.raw).toMatch(/Content-Type: multipart\/alternative/);
    expect(m.raw).toMatch(/Content-Type: text\/plain; charset=utf-8/);
    expect(m.raw).toMatch(/Content-Type: text\/html; charset=utf-8/);
    expect(m.raw).toContain('api is down');
  });

  it('authenticates with the configured user and password', async () => {
    const box = await startSmtp();
    expect(await send(delivery(box.port, { auth_username: 'healthmon', auth_password: PASSWORD }))).toEqual({ outcome: 'ok' });
    expect(box.received[0]!.user).toBe('healthmon');
  });

  it('fails for good on rejected credentials (535), without showing the password', async () => {
    const box = await startSmtp();
    const out = await send(delivery(box.port, { auth_username: 'healthmon', auth_password: `${PASSWORD}-wrong` }));
    expect(out).toMatchObject({ outcome: 'failed', reason: 'auth_failed', status: 535 });
    expect(out.outcome !== 'ok' && out.error).toMatch(/^SMTP 127\.0\.0\.1:\d+: .*535/);
    expect(box.received).toHaveLength(0);
  });

  it('speaks STARTTLS when require_tls is set', async () => {
    const box = await startSmtp({ disabledCommands: [] });
    expect(await send(delivery(box.port, { require_tls: true, tls_config: { insecure_skip_verify: true }, auth_username: 'healthmon', auth_password: PASSWORD }))).toEqual({ outcome: 'ok' });
    expect(box.received[0]!.secure).toBe(true);
  });

  it('retries when the STARTTLS certificate is not trusted', async () => {
    const box = await startSmtp({ disabledCommands: [] });
    const out = await send(delivery(box.port, { require_tls: true }));
    expect(out).toMatchObject({ outcome: 'retry', reason: 'tls_error' });
    expect(box.received).toHaveLength(0);
  });

  it('retries when require_tls is set but the server offers no STARTTLS', async () => {
    const box = await startSmtp();
    const out = await send(delivery(box.port, { require_tls: true, tls_config: { insecure_skip_verify: true } }));
    expect(out).toMatchObject({ outcome: 'retry', reason: 'tls_error' });
    expect(box.received).toHaveLength(0);
  });

  it('speaks implicit TLS when tls is set', async () => {
    const box = await startSmtp({ secure: true, disabledCommands: [] });
    expect(await send(delivery(box.port, { tls: true, tls_config: { insecure_skip_verify: true } }))).toEqual({ outcome: 'ok' });
    expect(box.received[0]!.secure).toBe(true);
  });

  it('fails for good when the server refuses with a 5xx', async () => {
    const box = await startSmtp({
      onRcptTo(_address, _session, cb) {
        cb(Object.assign(new Error('5.1.1 mailbox unavailable'), { responseCode: 550 }));
      },
    });
    const out = await send(delivery(box.port));
    expect(out).toMatchObject({ outcome: 'failed', reason: 'rejected', status: 550 });
    expect(out.outcome !== 'ok' && out.error).toContain('550 5.1.1 mailbox unavailable');
  });

  it('retries when the server refuses with a 4xx', async () => {
    const box = await startSmtp({
      onData(stream, _session, cb) {
        stream.resume();
        stream.on('end', () => cb(Object.assign(new Error('4.3.0 try again later'), { responseCode: 451 })));
      },
    });
    const out = await send(delivery(box.port));
    expect(out).toMatchObject({ outcome: 'retry', reason: 'temporary_failure', status: 451 });
    expect(out.outcome !== 'ok' && out.error).toContain('451 4.3.0 try again later');
  });

  it('retries when the server never greets', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    try {
      const started = performance.now();
      const out = await send(delivery((silent.address() as AddressInfo).port, { timeout: '300ms' }));
      expect(out).toMatchObject({ outcome: 'retry', reason: 'timeout' });
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('retries when nothing listens', async () => {
    const box = await startSmtp();
    const port = box.port;
    await servers.pop()!.close();
    expect(await send(delivery(port))).toMatchObject({ outcome: 'retry', reason: 'connection_refused' });
  });

  it('reports an abort (shutdown) as aborted, to be retried', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    try {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      const out = await sendEmail(delivery((silent.address() as AddressInfo).port), { signal: ac.signal, secrets: [] });
      expect(out).toMatchObject({ outcome: 'retry', reason: 'aborted' });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

afterAll(() => {
  // Every error text met above, checked for the password and its wire encodings.
  const wire = [PASSWORD, Buffer.from(PASSWORD).toString('base64'), Buffer.from(`\u0000healthmon\u0000${PASSWORD}-wrong`).toString('base64')];
  expect(errors.length).toBeGreaterThanOrEqual(7);
  for (const e of errors) for (const s of wire) expect(e).not.toContain(s);
});
