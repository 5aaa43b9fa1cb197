import dns from 'node:dns';
import type { LookupAddress, LookupAllOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { FetchError } from './fetch-error.js';

/** Whether outgoing requests may go to an address, and ipaddr.js's name for its range. */
export interface AddressVerdict {
  allowed: boolean;
  range: string;
}

/** `dns.lookup` in its `all: true` form; `dns.lookup` itself fits, and so does a test fake. */
export type LookupAllFunction = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export interface GuardedLookupOptions {
  allowPrivate: boolean;
  /** Defaults to `dns.lookup`. */
  lookup?: LookupAllFunction;
}

// ::a.b.c.d, the deprecated "IPv4-compatible" form. ipaddr.js has no range for it and calls it
// unicast, yet it only ever carries an IPv4 address, so it is refused outright.
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/**
 * Only what ipaddr.js calls `unicast` is allowed. An IPv4-mapped IPv6 address (`::ffff:7f00:1`)
 * is judged as the IPv4 address it carries; the other forms that embed an IPv4 address (NAT64
 * `rfc6052`, `rfc6145`, `6to4`, `teredo`) have their own, non-unicast ranges and are refused.
 */
export function classifyAddress(ip: string): AddressVerdict {
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.parse(ip);
  } catch {
    return { allowed: false, range: 'invalid' };
  }
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress()) {
    address = address.toIPv4Address();
  }
  let range: string = address.range();
  if (range === 'unicast' && address instanceof ipaddr.IPv6 && address.match(IPV4_COMPATIBLE)) {
    range = 'ipv4Compatible';
  }
  return { allowed: range === 'unicast', range };
}

/**
 * A `lookup` for `net.connect` / `http.Agent` that resolves every address of the name and fails
 * with a `blocked_address` FetchError if any of them is not allowed, so a name cannot point at an
 * internal address, at the moment of connecting (DNS rebinding included).
 */
export function createGuardedLookup({
  allowPrivate,
  lookup = dns.lookup,
}: GuardedLookupOptions): LookupFunction {
  return (hostname, options, callback) => {
    // dns.lookup also accepts a bare family number here; net always passes an object.
    const opts = typeof options === 'object' && options !== null ? options : {};
    lookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      if (!addresses?.length) {
        const notFound: NodeJS.ErrnoException = new Error(`no address for ${hostname}`);
        notFound.code = 'ENOTFOUND';
        return callback(notFound, '');
      }
      if (!allowPrivate) {
        for (const { address } of addresses) {
          const verdict = classifyAddress(address);
          if (!verdict.allowed) {
            return callback(FetchError.resolvesToBlocked(hostname, address, verdict.range), '');
          }
        }
      }
      // Node >= 20 asks for all addresses (happy eyeballs); older callers want just one.
      if (opts.all) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/**
 * Parses a request URL (a redirect's `Location` against `base`) and refuses what must not be
 * fetched: anything but http(s), and, unless `allowPrivate`, IP-literal hosts outside unicast and
 * `localhost` names. Node does not call `lookup` for IP literals, so this check is the only one
 * they get. WHATWG parsing turns `127.1`, `2130706433`, `0x7f000001` into `127.0.0.1` first.
 */
export function checkRequestUrl(input: string, allowPrivate: boolean, base?: string | URL): URL {
  let url: URL;
  try {
    url = new URL(input, base);
  } catch {
    throw FetchError.invalidUrl(`invalid URL: ${input.slice(0, 200)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw FetchError.invalidUrl(`unsupported protocol ${url.protocol}`);
  }
  if (!url.hostname) throw FetchError.invalidUrl('URL has no host');
  if (allowPrivate) return url;

  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host)) {
    const verdict = classifyAddress(host);
    if (!verdict.allowed) throw FetchError.blocked(`address ${host}`, verdict.range);
  } else {
    const name = host.replace(/\.$/, '');
    if (name === 'localhost' || name.endsWith('.localhost')) {
      throw FetchError.blocked(`host ${name}`, 'localhost');
    }
  }
  return url;
}
