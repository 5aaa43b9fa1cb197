import { callerIdentity } from './caller-identity.js';
import { OPEN_OWNER } from './owner.js';

describe('callerIdentity', () => {
  it.each([
    [{ owner: 'alice', ip: '203.0.113.7' }, 'key:alice'],
    [{ owner: OPEN_OWNER, ip: '203.0.113.7' }, 'ip:203.0.113.7'], // open: each address its own client
    [{ owner: OPEN_OWNER, ip: '2001:db8::1' }, 'ip:2001:db8::1'],
    [{ ip: '203.0.113.7' }, 'ip:203.0.113.7'],
    [{}, 'ip:unknown'],
  ])('%o is %s', (request, identity) => expect(callerIdentity(request)).toBe(identity));
});
