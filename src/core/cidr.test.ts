import { describe, expect, it } from 'vitest';
import { cidrContains, findNetwork, formatIp, parseCidr, parseIp } from './cidr.js';

const net = (text: string) => {
  const c = parseCidr(text);
  if (!c) throw new Error(`bad cidr ${text}`);
  return c;
};

describe('parseIp / formatIp', () => {
  it.each([
    ['10.1.2.3', '10.1.2.3'],
    ['::1', '::1'],
    ['::', '::'],
    ['fe80::1%eth0', 'fe80::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:169.254.169.254', '::ffff:a9fe:a9fe'],
    ['fd00:ec2::254', 'fd00:ec2::254'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ])('%s → %s', (text, formatted) => {
    expect(formatIp(parseIp(text)!)).toBe(formatted);
  });

  it.each(['', 'localhost', '1.2.3', '256.1.1.1', '1::2::3', 'fe80::/10'])('rejects %j', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.9.8.7/8', '10.0.0.0/8'],
    ['192.168.1.1', '192.168.1.1/32'],
    ['fe80::/10', 'fe80::/10'],
    ['fe80::1234/10', 'fe80::/10'],
    ['::1', '::1/128'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['::/0', '::/0'],
    [' 172.16.0.0/12 ', '172.16.0.0/12'],
  ])('%j → %s', (text, normalised) => {
    expect(parseCidr(text)?.text).toBe(normalised);
  });

  it.each(['10.0.0.0/33', '::/129', 'x/8', '10.0.0.0/', '10.0.0.0/8/8', 'fe80::1%eth0/64', ''])('rejects %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});

describe('cidrContains', () => {
  it.each([
    ['169.254.0.0/16', '169.254.169.254', true],
    ['169.254.0.0/16', '169.255.0.1', false],
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['172.16.0.0/12', '172.31.0.1', true],
    ['172.16.0.0/12', '172.32.0.1', false],
    ['fe80::/10', 'fe80::1', true],
    ['fe80::/10', 'febf:ffff::1', true],
    ['fe80::/10', 'fec0::1', false],
    ['fd00:ec2::254/128', 'fd00:ec2:0::254', true],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['0.0.0.0/0', '::1', false],
    ['::/0', '::1', true],
    ['127.0.0.0/8', '::ffff:127.0.0.1', true],
    ['169.254.0.0/16', '::ffff:a9fe:a9fe', true],
    ['10.0.0.0/8', 'not an address', false],
    ['10.1.2.3', '10.1.2.3', true],
    ['10.1.2.3', '10.1.2.4', false],
  ])('%s holds %s: %s', (cidr, address, expected) => {
    expect(cidrContains(net(cidr), address)).toBe(expected);
  });

  it('finds the first network that holds an address', () => {
    const nets = ['10.0.0.0/8', 'fe80::/10', '127.0.0.0/8'].map(net);
    expect(findNetwork(nets, '127.0.0.1')?.text).toBe('127.0.0.0/8');
    expect(findNetwork(nets, 'fe80::abcd')?.text).toBe('fe80::/10');
    expect(findNetwork(nets, '192.0.2.1')).toBeUndefined();
  });
});
