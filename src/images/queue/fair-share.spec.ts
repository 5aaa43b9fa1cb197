import { afterLease, type ClaimCandidate, fairShares } from './fair-share.js';

/** A candidate request: owner, its id, and what differs from an idle request of cost 1 with 100 queued. */
const request = (queueOwner: string, taskId: string, rest: Partial<ClaimCandidate> = {}): ClaimCandidate => ({
  queueOwner,
  weight: 1,
  ownerCost: 0,
  taskId,
  cost: 1,
  taskCost: 0,
  queued: 100,
  ...rest,
});

const NO_LIMIT = 1_000;
const none = new Map<string, number>();
const shares = (...args: Parameters<typeof fairShares>) => Object.fromEntries(fairShares(...args));

describe('fairShares', () => {
  it('shares between owners first: one owner with many requests gets half, not one per request', () => {
    const a = Array.from({ length: 6 }, (_, i) => request('a', `a${i}`));
    expect(shares([...a, request('b', 'b0')], 4, none, NO_LIMIT)).toEqual({ a0: 1, a1: 1, b0: 2 });
    // A larger claim deals in turns of limit ÷ 4: still half each.
    expect(shares([...a, request('b', 'b0')], 8, none, NO_LIMIT)).toEqual({ a0: 2, a1: 2, b0: 4 });
  });

  it('deals a large claim in four turns, so it touches four requests of the summary, not one per image', () => {
    const idle = Array.from({ length: 100 }, (_, i) => request(`owner${i}`, `r${i}`));
    expect(shares(idle, 16, none, NO_LIMIT)).toEqual({ r0: 4, r1: 4, r2: 4, r3: 4 });
    // The next claim, with those four's images in flight, goes to the next four.
    const next = idle.map((candidate, i) =>
      i < 4 ? { ...candidate, ownerCost: 4, taskCost: 4 } : candidate,
    );
    expect(shares(next, 16, none, NO_LIMIT)).toEqual({ r4: 4, r5: 4, r6: 4, r7: 4 });
  });

  it('gives the owner with the least in flight for its weight the next images', () => {
    // a: 6 in flight at weight 3 (2 each), b: 1 at weight 1: b first until it reaches 2, then a in turn.
    const candidates = [
      request('a', 'a0', { weight: 3, ownerCost: 6, taskCost: 6 }),
      request('b', 'b0', { ownerCost: 1, taskCost: 1 }),
    ];
    expect(shares(candidates, 5, none, NO_LIMIT)).toEqual({ a0: 3, b0: 2 });
  });

  it("sizes a turn by its owner's weight, so a large claim follows the weights as one image a turn did", () => {
    const idle = [
      request('a', 'a0', { weight: 3 }),
      request('b', 'b0'),
      request('c', 'c0'),
      request('d', 'd0'),
    ];
    expect(shares(idle, 64, none, NO_LIMIT)).toEqual({ a0: 32, b0: 12, c0: 10, d0: 10 });
    // a: 31 in flight at weight 3, b: 1: b catches up, then both go on at 3 to 1.
    const busy = [
      request('b', 'b0', { ownerCost: 1, taskCost: 1 }),
      request('a', 'a0', { weight: 3, ownerCost: 31, taskCost: 31 }),
    ];
    expect(shares(busy, 64, none, 128)).toEqual({ b0: 25, a0: 39 });
    // Whole turns at any weight (4 × 49 / 49 is 4, not a hair under it).
    const heavy = [request('a', 'a0', { weight: 49 }), request('a', 'a1', { weight: 49 })];
    expect(shares(heavy, 16, none, NO_LIMIT)).toEqual({ a0: 8, a1: 8 });
  });

  it('counts costly images against their owner: one AVIF image weighs as much as 16 JPEG ones', () => {
    const candidates = [request('avif', 'x', { cost: 16 }), request('jpeg', 'y')];
    expect(shares(candidates, 10, none, NO_LIMIT)).toEqual({ x: 1, y: 9 });
  });

  it('within an owner, serves the request with the least in flight, the first (oldest) of equals', () => {
    const candidates = [
      request('a', 'old', { taskCost: 2 }),
      request('a', 'new', { taskCost: 0 }),
      request('a', 'newest', { taskCost: 0 }),
    ];
    expect(shares(candidates, 5, none, NO_LIMIT)).toEqual({ new: 2, newest: 2, old: 1 });
  });

  it('takes no more than a request has queued, nor than the limit', () => {
    expect(
      shares([request('a', 'a0', { queued: 2 }), request('a', 'a1', { queued: 1 })], 8, none, NO_LIMIT),
    ).toEqual({ a0: 2, a1: 1 });
    expect(shares([request('a', 'a0')], 3, none, NO_LIMIT)).toEqual({ a0: 3 });
  });

  it('keeps what this process holds of an owner within the cap, whoever else waits', () => {
    const candidates = [request('avif', 'x', { cost: 16 }), request('auto', 'y', { cost: 8 })];
    // 32 per owner: avif holds 16 here already, so one more; auto may have 4 (32 / 8).
    expect(shares(candidates, 8, new Map([['avif', 16]]), 32)).toEqual({ x: 1, y: 4 });
    expect(shares([request('avif', 'x', { cost: 16 })], 8, new Map([['avif', 32]]), 32)).toEqual({});
  });
});

describe('afterLease', () => {
  it('leaves out the requests that gave fewer images than their share, and counts the leased ones in flight', () => {
    const candidates = [
      request('a', 'a0', { ownerCost: 2 }),
      request('a', 'a1', { ownerCost: 2, cost: 2, taskCost: 2 }),
      request('b', 'b0', { queued: 5 }),
    ];
    const dealt = new Map([
      ['a0', 4],
      ['a1', 2],
      ['b0', 4],
    ]);
    // b0's images are waiting out a back-off: none was due.
    const next = afterLease(
      candidates,
      dealt,
      new Map([
        ['a0', 4],
        ['a1', 2],
      ]),
    );
    expect(next).toEqual([
      request('a', 'a0', { ownerCost: 10, taskCost: 4, queued: 96 }),
      request('a', 'a1', { ownerCost: 10, cost: 2, taskCost: 6, queued: 98 }),
    ]);
  });
});
