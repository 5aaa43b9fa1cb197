import { newImageId } from './image-id.js';

describe('newImageId', () => {
  it('is UUID-shaped, version 8 with the RFC 9562 variant, and never repeats', () => {
    const ids = Array.from({ length: 10_000 }, () => newImageId());
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('spreads its first two characters (the output folder) over all 256 values', () => {
    const folders = new Set(Array.from({ length: 20_000 }, () => newImageId().slice(0, 2)));
    expect(folders.size).toBe(256);
  });

  it('takes the folder it is given: ids of one batch share it, and still never repeat', () => {
    const ids = Array.from({ length: 10_000 }, () => newImageId(Date.now(), '3f'));
    expect(ids.every((id) => id.startsWith('3f'))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('sorts by time after the first two characters, so that one upload stores its ids close together', () => {
    const now = Date.UTC(2026, 10, 26);
    const ids = [0, 256, 60_000, 86_400_000].map((later) => newImageId(now + later).slice(2));
    expect([...ids].sort()).toEqual(ids);
  });
});
