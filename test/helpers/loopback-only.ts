import dns from 'node:dns';
import type { Agent } from 'node:http';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

const isLoopback = (address: string) => ipaddr.process(address).range() === 'loopback';

/**
 * A backstop for tests of the address guard: `agents` connect to loopback addresses only. A connection
 * to any other IP literal, or to a name any of whose looked-up addresses is not loopback, fails at once
 * (an error, no packet), so a broken guard fails its test instead of reaching the network. It sits after
 * the guard (on the agents' createConnection and on the lookup they were given), so it hides nothing
 * from the test.
 */
export function loopbackOnly(...agents: Agent[]): void {
  for (const agent of agents) {
    const createConnection = agent.createConnection.bind(agent);
    agent.createConnection = (options, callback) => {
      const host = options.host ?? 'localhost';
      if (isIP(host) && !isLoopback(host)) throw new Error(`loopbackOnly: a connection to ${host}`);
      const lookup = (options.lookup ?? dns.lookup) as LookupFunction;
      const checked: LookupFunction = (hostname, lookupOptions, done) =>
        lookup(hostname, lookupOptions, (error, address, family) => {
          const addresses = Array.isArray(address) ? address.map((a) => a.address) : [address];
          if (!error && addresses.some((a) => !isLoopback(a))) {
            return done(new Error(`loopbackOnly: ${hostname} resolved to ${addresses.join(', ')}`), '', 0);
          }
          done(error, address, family);
        });
      return createConnection({ ...options, lookup: checked }, callback);
    };
  }
}
