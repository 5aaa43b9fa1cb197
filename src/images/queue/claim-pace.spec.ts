import { ClaimPace } from './claim-pace.js';

describe('ClaimPace', () => {
  let clock: number;
  const pace = (aheadMs: number) => new ClaimPace(aheadMs, 4, 32, () => clock);
  const startMany = (claimPace: ClaimPace, images: number, overMs: number) => {
    for (let image = 0; image < images; image++) claimPace.start();
    clock += overMs;
  };

  beforeEach(() => {
    clock = 1_000;
  });

  it('holds CONCURRENCY ahead before anything started, and while images are slow', () => {
    const claimPace = pace(50);
    expect(claimPace.ahead()).toBe(4);
    startMany(claimPace, 8, 1_000); // 8 images a second, smoothed: 0.2 of an image in 50 ms
    expect(claimPace.ahead()).toBe(4);
  });

  it('holds CLAIM_AHEAD_MS of work at the recent pace, at most RECORD_BATCH_SIZE', () => {
    const claimPace = pace(50);
    claimPace.ahead();
    startMany(claimPace, 40, 100); // 0.4 a ms, smoothed with the pace before (0): 0.2 a ms
    expect(claimPace.ahead()).toBe(10);
    startMany(claimPace, 40, 100); // (0.2 + 0.4) ÷ 2 = 0.3 a ms
    expect(claimPace.ahead()).toBe(15);
    startMany(claimPace, 1_000, 10); // 100 a ms
    expect(claimPace.ahead()).toBe(32);
  });

  it('slows down with the work: an idle spell halves the pace at each claim', () => {
    const claimPace = pace(50);
    claimPace.ahead();
    startMany(claimPace, 1_000, 10);
    expect(claimPace.ahead()).toBe(32);
    clock += 60_000; // nothing started for a minute
    expect(claimPace.ahead()).toBe(32); // 50 a ms halved: still past the most
    for (let claim = 0; claim < 10; claim++) {
      clock += 1_000;
      claimPace.ahead(); // claims with nothing started
    }
    clock += 1_000;
    expect(claimPace.ahead()).toBe(4);
  });

  it('holds only CONCURRENCY ahead when CLAIM_AHEAD_MS is 0', () => {
    const claimPace = pace(0);
    startMany(claimPace, 1_000, 1);
    expect(claimPace.ahead()).toBe(4);
  });
});
