import { describe, expect, it } from 'vitest';
import { authorizeChange, createTokenReader, isLoopback, sameSecret, type ApiToken } from './auth.js';

const none: ApiToken = { state: 'none' };
const set: ApiToken = { state: 'set', token: 's3cret-token', source: 'config' };

describe('authorizeChange', () => {
  it.each(['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'])('without a token, lets loopback client %s change things', (remoteAddress) => {
    expect(authorizeChange({ authorization: undefined, remoteAddress }, none)).toEqual({ ok: true, actor: 'loopback' });
  });

  it.each(['10.0.0.7', '192.168.1.20', '::ffff:10.0.0.7', 'fe80::1', '2001:db8::1', undefined])('without a token, refuses non-loopback client %s', (remoteAddress) => {
    const d = authorizeChange({ authorization: 'Bearer anything', remoteAddress }, none);
    expect(d).toMatchObject({ ok: false, status: 403 });
    expect(d.ok === false && d.detail).toMatch(/^no API token is configured \(server\.api\.token, server\.api\.token_file or HEALTHMON_API_TOKEN\), so changes are accepted from loopback clients only; .* is not one$/);
  });

  it('names the basic-auth user as the actor when there is one', () => {
    expect(authorizeChange({ authorization: undefined, remoteAddress: '127.0.0.1', basicUser: 'alice' }, none)).toEqual({ ok: true, actor: 'basic:alice' });
  });

  it('with a token, wants it from every client, loopback included', () => {
    expect(authorizeChange({ authorization: undefined, remoteAddress: '127.0.0.1' }, set)).toEqual({
      ok: false, status: 401, detail: 'this needs the API token: send it as "Authorization: Bearer <token>"', challenge: 'Bearer realm="healthmon"',
    });
    expect(authorizeChange({ authorization: 'Bearer wrong', remoteAddress: '127.0.0.1' }, set)).toEqual({
      ok: false, status: 401, detail: 'the bearer token is not the API token', challenge: 'Bearer realm="healthmon", error="invalid_token"',
    });
    expect(authorizeChange({ authorization: 'Basic czNjcmV0LXRva2Vu', remoteAddress: '10.0.0.1' }, set)).toMatchObject({ ok: false, status: 401 });
    expect(authorizeChange({ authorization: 'Bearer s3cret-token', remoteAddress: '10.0.0.1' }, set)).toEqual({ ok: true, actor: 'token:config' });
    expect(authorizeChange({ authorization: 'bearer s3cret-token', remoteAddress: '10.0.0.1' }, set)).toEqual({ ok: true, actor: 'token:config' });
  });

  it('refuses every change while a configured token file cannot be read', () => {
    expect(authorizeChange({ authorization: undefined, remoteAddress: '127.0.0.1' }, { state: 'unavailable', detail: 'the API token file /x cannot be read (ENOENT)' })).toEqual({
      ok: false, status: 503, detail: 'changes are refused: the API token file /x cannot be read (ENOENT)',
    });
  });
});

describe('createTokenReader', () => {
  it('takes the config token first, then the file, then the environment', () => {
    const files = { readFile: () => 'from-file\n', version: () => '1' };
    expect(createTokenReader(() => ({ token: 'cfg', allowNetworks: [], denyNetworks: [] }), 'env', files)()).toEqual({ state: 'set', token: 'cfg', source: 'config' });
    expect(createTokenReader(() => ({ tokenFile: '/t', allowNetworks: [], denyNetworks: [] }), 'env', files)()).toEqual({ state: 'set', token: 'from-file', source: 'file' });
    expect(createTokenReader(() => ({ allowNetworks: [], denyNetworks: [] }), 'env', files)()).toEqual({ state: 'set', token: 'env', source: 'env' });
    expect(createTokenReader(() => ({ allowNetworks: [], denyNetworks: [] }), '', files)()).toEqual({ state: 'none' });
  });

  it('re-reads the token file only when it changes', () => {
    let content = 'one';
    let version = 'v1';
    let reads = 0;
    const read = createTokenReader(() => ({ tokenFile: '/t', allowNetworks: [], denyNetworks: [] }), undefined, {
      readFile: () => {
        reads++;
        return content;
      },
      version: () => version,
    });
    expect(read()).toMatchObject({ token: 'one' });
    expect(read()).toMatchObject({ token: 'one' });
    expect(reads).toBe(1);
    content = 'two';
    version = 'v2';
    expect(read()).toMatchObject({ token: 'two' });
    content = '  \n';
    version = 'v3';
    expect(read()).toEqual({ state: 'unavailable', detail: 'the API token file /t is empty' });
    version = 'gone';
    const missing = createTokenReader(() => ({ tokenFile: '/t', allowNetworks: [], denyNetworks: [] }), 'env', {
      readFile: () => '',
      version: () => {
        throw Object.assign(new Error('x'), { code: 'ENOENT' });
      },
    });
    // A configured file that is missing does not fall back to the environment or to "no token".
    expect(missing()).toEqual({ state: 'unavailable', detail: 'the API token file /t cannot be read (ENOENT)' });
  });
});

describe('helpers', () => {
  it('compares secrets of any length', () => {
    expect(sameSecret('a', 'a')).toBe(true);
    expect(sameSecret('a', 'ab')).toBe(false);
    expect(sameSecret('', '')).toBe(true);
  });

  it.each([
    ['127.0.0.1', true], ['::1', true], ['::ffff:127.0.0.2', true], ['0:0:0:0:0:0:0:1', true],
    ['10.0.0.1', false], ['::2', false], ['::ffff:10.0.0.1', false], ['localhost', false], [undefined, false],
  ])('isLoopback(%s) = %s', (address, expected) => {
    expect(isLoopback(address)).toBe(expected);
  });
});

describe('basicAuth', () => {
  it('verifies a user once with bcrypt, then remembers the pair; an unknown user costs a comparison too', async () => {
    const { default: express } = await import('express');
    const { basicAuth } = await import('./auth.js');
    const compared: string[] = [];
    const app = express();
    app.use(basicAuth({
      users: () => ({ alice: '$2b$04$abcdefghijklmnopqrstuuNXBGvMvLJxzrxhKZMz7PIX5pbC5G5Pm' }),
      token: () => ({ state: 'none' }),
      compare: async (password, hash) => {
        compared.push(hash.startsWith('$2b$04$abc') ? `alice:${password}` : `dummy:${password}`);
        return password === 'right';
      },
    }));
    app.get('/', (_req, res) => res.send(`hello ${res.locals.basicUser as string}`));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    const as = (user: string, password: string) => fetch(url, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
    try {
      expect((await as('alice', 'right')).status).toBe(200);
      expect(await (await as('alice', 'right')).text()).toBe('hello alice');
      expect((await as('alice', 'wrong')).status).toBe(401);
      expect((await as('eve', 'right')).status).toBe(401);
      expect((await fetch(url)).status).toBe(401);
      expect(compared).toEqual(['alice:right', 'alice:wrong', 'dummy:right']);
    } finally {
      server.close();
    }
  });
});
