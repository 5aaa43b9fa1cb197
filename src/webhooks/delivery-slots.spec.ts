import { OPEN_OWNER } from '../access/owner.js';
import { loadConfig } from '../config/app-config.js';
import { DeliverySlots } from './delivery-slots.js';

const slots = () =>
  new DeliverySlots(
    loadConfig({
      WEBHOOK_CONCURRENCY: '5',
      WEBHOOK_CONCURRENCY_PER_RECEIVER: '2',
      WEBHOOK_CONCURRENCY_PER_KEY: '3',
    }),
  );

describe('DeliverySlots', () => {
  it('counts attempts against the overall, per-receiver and per-key limits, and frees them', () => {
    const counted = slots();
    const a1 = { origin: 'http://a.example', owner: 'alice' };
    const b1 = { origin: 'http://b.example', owner: 'alice' };
    counted.take(a1);
    counted.take(a1);
    expect(counted.roomAt('http://a.example')).toBe(0);
    expect(counted.fullReceivers()).toEqual(['http://a.example']);
    expect(counted.roomFor('alice')).toBe(1);
    counted.take(b1);
    expect(counted.roomFor('alice')).toBe(0);
    expect(counted.roomFor('bob')).toBe(2); // overall room: 5 - 3
    expect(counted.roomAt('http://c.example')).toBe(2);
    counted.release(a1);
    expect(counted.fullReceivers()).toEqual([]);
    expect(counted.roomFor('alice')).toBe(1);
    expect(counted.free).toBe(3);
  });

  it('applies no per-key limit to the open service (one owner for every client), only the overall one', () => {
    const counted = slots();
    for (let i = 0; i < 4; i++) counted.take({ origin: `http://${i}.example`, owner: OPEN_OWNER });
    expect(counted.roomFor(OPEN_OWNER)).toBe(1);
  });

  it('orders owners by attempts in flight, fewest first', () => {
    const counted = slots();
    counted.take({ origin: 'http://a.example', owner: 'alice' });
    counted.take({ origin: 'http://a.example', owner: 'alice' });
    counted.take({ origin: 'http://b.example', owner: 'bob' });
    expect(counted.leastBusyFirst(['alice', 'bob', 'carol'])).toEqual(['carol', 'bob', 'alice']);
  });
});
