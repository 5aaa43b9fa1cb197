import {
  formatBytes,
  formatDuration,
  formatSaving,
  throughput,
  exportFileName,
  requestName,
  srcsetOf,
} from './format';

describe('dashboard formatting', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KB'],
    [5 * 1024 * 1024, '5.0 MB'],
    [300 * 1024 * 1024 * 1024, '300 GB'],
  ])('formatBytes(%d) = %s', (bytes, shown) => expect(formatBytes(bytes)).toBe(shown));

  it.each([
    [1000, 250, '75%'],
    [1000, 1000, '0%'],
    [0, 0, null],
  ])('formatSaving(%d, %d) = %s', (input, output, shown) => expect(formatSaving(input, output)).toBe(shown));

  it.each([
    [4.4, '4 s'],
    [75, '1 min 15 s'],
    [7260, '2 h 1 min'],
  ])('formatDuration(%d) = %s', (seconds, shown) => expect(formatDuration(seconds)).toBe(shown));

  it('throughput: images per second over the recent readings, and the time left at that pace', () => {
    const samples = [
      { at: 0, processed: 0 },
      { at: 40_000, processed: 100 },
      { at: 50_000, processed: 150 },
      { at: 60_000, processed: 200 },
    ];
    // The last 30 s: 100 images in 20 s (the reading at 40 s opens the window).
    expect(throughput(samples, 1200)).toEqual({ perSecond: 5, secondsLeft: 200 });
    expect(throughput(samples.slice(0, 1), 1200)).toBeNull();
    expect(
      throughput(
        [
          { at: 0, processed: 5 },
          { at: 1000, processed: 5 },
        ],
        10,
      ),
    ).toBeNull();
  });
});

describe('requestName and exportFileName', () => {
  const id = '7b0e4c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70';
  it.each([
    ['catalog.csv', 'catalog.csv', 'catalog-output.csv'],
    ['Spring 2026.CSV', 'Spring 2026.CSV', 'Spring 2026-output.csv'],
    ['export', 'export', 'export-output.csv'],
    [null, 'Request 7b0e4c2a', `${id}.csv`],
  ])('%j is shown as %j and exported as %j', (fileName, shown, exported) => {
    const request = { request_id: id, file_name: fileName };
    expect(requestName(request)).toBe(shown);
    expect(exportFileName(request)).toBe(exported);
  });

  it('writes a srcset of the width renditions, each actual width once, presets left out', () => {
    const rendition = (spec: string, width: number) => ({
      spec,
      url: `https://cdn.test/a-${spec}.jpg`,
      width,
    });
    expect(
      srcsetOf([
        rendition('1600w', 500),
        rendition('thumb-400', 400),
        rendition('800w', 500),
        rendition('400w', 400),
      ]),
    ).toBe('https://cdn.test/a-1600w.jpg 500w, https://cdn.test/a-400w.jpg 400w');
    expect(srcsetOf([rendition('square-2000', 2000)])).toBeNull();
  });
});
