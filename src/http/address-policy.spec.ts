import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import {
  checkRequestUrl,
  classifyAddress,
  createGuardedLookup,
  type LookupAllFunction,
} from './address-policy.js';
import { fakeDns } from '../../test/helpers/fake-dns.js';
import { FetchError } from './fetch-error.js';

describe('classifyAddress', () => {
  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '172.32.0.1', // just past 172.16/12
    '100.128.0.1', // just past 100.64/10
    '2606:4700::1111',
    '2a00:1450:4001:830::200e',
    '::ffff:8.8.8.8', // mapped, judged as the public IPv4 it carries
  ])('allows public %s', (ip) => {
    expect(classifyAddress(ip)).toEqual({ allowed: true, range: 'unicast' });
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.255', 'carrierGradeNat'],
    ['169.254.0.1', 'linkLocal'],
    ['169.254.169.254', 'linkLocal'], // cloud metadata
    ['fe80::1', 'linkLocal'],
    ['febf::1', 'linkLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd00::1', 'uniqueLocal'],
    ['fd00:ec2::254', 'uniqueLocal'], // AWS metadata over IPv6
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.51.100.1', 'reserved'],
    ['203.0.113.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    // IPv4-mapped IPv6, dotted and hex, judged as IPv4
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['::ffff:a9fe:a9fe', 'linkLocal'],
    ['::ffff:0.0.0.0', 'unspecified'],
    // other forms embedding an IPv4 address: refused, even around a public one
    ['::127.0.0.1', 'loopback'], // ipaddr.js reads the deprecated dotted form as mapped
    ['::7f00:1', 'ipv4Compatible'],
    ['::808:808', 'ipv4Compatible'],
    ['64:ff9b::7f00:1', 'rfc6052'],
    ['64:ff9b::808:808', 'rfc6052'],
    ['::ffff:0:7f00:1', 'rfc6145'],
    ['2002:7f00:1::1', '6to4'],
    ['2001::1', 'teredo'],
    ['not-an-ip', 'invalid'],
    ['', 'invalid'],
  ])('blocks %s (%s)', (ip, range) => {
    expect(classifyAddress(ip)).toEqual({ allowed: false, range });
  });
});

/** Calls a net-style lookup and collects what it calls back with. */
function runLookup(
  lookup: LookupFunction,
  hostname: string,
  options: { all?: boolean; family?: number } = {},
): Promise<{
  err: NodeJS.ErrnoException | null;
  address: string | LookupAddress[];
  family?: number;
}> {
  return new Promise((resolve) =>
    lookup(hostname, options, (err, address, family) => resolve({ err, address, family })),
  );
}

describe('createGuardedLookup', () => {
  it.each([['10.0.0.1'], ['169.254.169.254'], ['fd00::1'], ['::ffff:10.0.0.1'], ['127.0.0.1'], ['::1']])(
    'refuses a public-looking name that resolves to %s',
    async (address) => {
      const dns = fakeDns(address);
      const { err } = await runLookup(
        createGuardedLookup({ allowPrivate: false, lookup: dns }),
        'evil.example',
        {
          all: true,
        },
      );
      expect(dns).toHaveBeenCalledWith(
        'evil.example',
        expect.objectContaining({ all: true }),
        expect.any(Function),
      );
      expect(err).toBeInstanceOf(FetchError);
      expect(err).toMatchObject({ code: 'blocked_address', retryable: false });
      // The client is told the name is refused, not what it resolves to; the log is.
      expect(err?.message).toBe('host evil.example does not resolve to a public address');
      expect(err?.message).not.toContain(address);
      expect((err as FetchError).detail).toContain(address);
    },
  );

  it('refuses the name if any one of its addresses is internal', async () => {
    const dns = fakeDns('93.184.216.34', '10.0.0.1');
    const { err } = await runLookup(
      createGuardedLookup({ allowPrivate: false, lookup: dns }),
      'evil.example',
    );
    expect(dns).toHaveBeenCalledTimes(1);
    expect(err).toMatchObject({ code: 'blocked_address' });
  });

  it('asks for all addresses even when the caller wants one, and answers in the one-address form', async () => {
    const dns = fakeDns('93.184.216.34', '2606:4700::1111');
    const result = await runLookup(
      createGuardedLookup({ allowPrivate: false, lookup: dns }),
      'good.example',
      {
        family: 0,
      },
    );
    expect(dns.mock.calls[0][1]).toMatchObject({ all: true, family: 0 });
    expect(result).toEqual({ err: null, address: '93.184.216.34', family: 4 });
  });

  it('answers with every address when the caller asks for all (happy eyeballs)', async () => {
    const dns = fakeDns('93.184.216.34', '2606:4700::1111');
    const result = await runLookup(
      createGuardedLookup({ allowPrivate: false, lookup: dns }),
      'good.example',
      {
        all: true,
      },
    );
    expect(result.err).toBeNull();
    expect(result.address).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:4700::1111', family: 6 },
    ]);
  });

  it('lets internal addresses through when private URLs are allowed', async () => {
    const dns = fakeDns('10.0.0.1');
    const result = await runLookup(
      createGuardedLookup({ allowPrivate: true, lookup: dns }),
      'intranet.example',
    );
    expect(result).toEqual({ err: null, address: '10.0.0.1', family: 4 });
  });

  it('passes resolver errors through, and treats an empty answer as not found', async () => {
    const failing = vi.fn<LookupAllFunction>((hostname, _options, callback) =>
      callback(
        Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
          code: 'ENOTFOUND',
        }),
        [],
      ),
    );
    const failed = await runLookup(
      createGuardedLookup({ allowPrivate: false, lookup: failing }),
      'nx.example',
    );
    expect(failed.err).toMatchObject({ code: 'ENOTFOUND' });

    const empty = await runLookup(
      createGuardedLookup({ allowPrivate: false, lookup: fakeDns() }),
      'nx.example',
    );
    expect(empty.err).toMatchObject({ code: 'ENOTFOUND' });
  });

  it('uses dns.lookup by default (localhost from the hosts file is refused)', async () => {
    const { err } = await runLookup(createGuardedLookup({ allowPrivate: false }), 'localhost', { all: true });
    expect(err).toMatchObject({ code: 'blocked_address' });
  });
});

describe('checkRequestUrl', () => {
  it.each([
    ['http://127.0.0.1/', 'loopback'],
    ['http://127.1/', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://0x7f000001/', 'loopback'],
    ['http://0177.0.0.1/', 'loopback'],
    ['http://[::1]/', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://[::127.0.0.1]/', 'ipv4Compatible'],
    ['http://0/', 'unspecified'],
    ['https://10.1.2.3/', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'linkLocal'],
    ['http://[fd00:ec2::254]/', 'uniqueLocal'],
    ['http://localhost/', 'localhost'],
    ['http://LOCALHOST./', 'localhost'],
    ['http://app.localhost:8080/', 'localhost'],
  ])('blocks %s (%s)', (url, range) => {
    expectFetchError(() => checkRequestUrl(url, false), 'blocked_address', range);
  });

  it('checks a redirect target against the current URL: metadata address blocked, no connection needed', () => {
    expectFetchError(
      () => checkRequestUrl('http://169.254.169.254/', false, new URL('https://images.example/a.png')),
      'blocked_address',
      'linkLocal',
    );
    expectFetchError(
      () => checkRequestUrl('//[::ffff:a9fe:a9fe]/x', false, new URL('https://images.example/a.png')),
      'blocked_address',
      'linkLocal',
    );
  });

  it('resolves a relative redirect against the current URL', () => {
    const base = new URL('https://images.example/a/b.png?x=1');
    expect(checkRequestUrl('/c.png', false, base).href).toBe('https://images.example/c.png');
    expect(checkRequestUrl('d.png', false, base).href).toBe('https://images.example/a/d.png');
    expect(checkRequestUrl('http://cdn.example/e.png', false, base).href).toBe('http://cdn.example/e.png');
  });

  it.each([
    'ftp://example.com/a',
    'file:///etc/passwd',
    'gopher://example.com/',
    'data:image/png;base64,AA==',
    'not a url',
    'http://',
    'http://[fe80::1%25eth0]/',
  ])('rejects %s as invalid_url, private URLs allowed or not', (url) => {
    expectFetchError(() => checkRequestUrl(url, false), 'invalid_url');
    expectFetchError(() => checkRequestUrl(url, true), 'invalid_url');
  });

  it('allows public hosts, and anything http(s) when private URLs are allowed', () => {
    expect(checkRequestUrl('https://example.com/a.png', false).hostname).toBe('example.com');
    expect(checkRequestUrl('http://8.8.8.8/', false).hostname).toBe('8.8.8.8');
    expect(checkRequestUrl('http://[2606:4700::1111]/', false).hostname).toBe('[2606:4700::1111]');
    expect(checkRequestUrl('http://127.1:8080/x', true).href).toBe('http://127.0.0.1:8080/x');
    expect(checkRequestUrl('http://localhost/', true).hostname).toBe('localhost');
  });
});

function expectFetchError(fn: () => unknown, code: string, range?: string) {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(FetchError);
  expect(caught).toMatchObject({ code, retryable: false });
  if (range) expect((caught as Error).message).toContain(`(${range})`);
}
