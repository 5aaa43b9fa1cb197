import { EventStreamParser } from './event-stream';

describe('EventStreamParser', () => {
  const stream = 'event: progress\ndata: {"n":1}\n\n: keep-alive\n\nevent: completed\ndata: {"n":2}\n\n';

  it.each([
    ['whole', [stream]],
    ['one character at a time', stream.split('')],
    [
      'split inside a line and between CR LF',
      [
        'event: progr',
        'ess\r',
        '\ndata: {"n":1}\r\n\r\n: keep-alive\n\nevent: completed\ndata: {"n":2}\n',
        '\n',
      ],
    ],
  ])('%s: the events, in order, without the comments', (_name, chunks) => {
    const parser = new EventStreamParser();
    const events = chunks.flatMap((chunk) => parser.push(chunk));
    expect(events).toEqual([
      { event: 'progress', data: '{"n":1}' },
      { event: 'completed', data: '{"n":2}' },
    ]);
  });

  it('joins data lines, names an unnamed event "message", and holds an unfinished one back', () => {
    const parser = new EventStreamParser();
    expect(parser.push('data: a\ndata: b\n\ndata: c\n')).toEqual([{ event: 'message', data: 'a\nb' }]);
    expect(parser.push('\n')).toEqual([{ event: 'message', data: 'c' }]);
  });
});
