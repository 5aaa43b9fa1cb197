import { ReadableLogStream } from './readable-log-stream.js';

describe('ReadableLogStream', () => {
  const stream = new ReadableLogStream();

  it('puts time, level, context and message first, then the other fields', () => {
    const line = JSON.stringify({
      level: 'warn',
      time: '2026-11-26T08:00:00.000Z',
      pid: 1,
      context: 'ImageProcessor',
      request_id: 'r1',
      image_id: 'i1',
      msg: 'failed with timeout',
      attempt: 2,
    });
    expect(stream.format(line)).toBe(
      '2026-11-26T08:00:00.000Z  WARN [ImageProcessor] failed with timeout request_id=r1 image_id=i1 attempt=2',
    );
  });

  it('shows an HTTP line as method, URL, status and time, without the headers', () => {
    const line = JSON.stringify({
      level: 'info',
      time: '2026-11-26T08:00:00.000Z',
      http_request_id: 'abc',
      req: { method: 'GET', url: '/status/r1', headers: { host: 'x' } },
      res: { statusCode: 200, headers: {} },
      responseTime: 4,
      msg: 'request completed',
    });
    expect(stream.format(line)).toBe(
      '2026-11-26T08:00:00.000Z  INFO request completed: GET /status/r1 200 in 4 ms http_request_id=abc',
    );
  });

  it('escapes line breaks, so a message cannot forge another line', () => {
    const line = JSON.stringify({ level: 'info', time: 't', msg: 'a\nt  INFO forged\r' });
    expect(stream.format(line)).toBe('t  INFO a\\nt  INFO forged\\r');
  });

  it('passes a line that is not JSON through', () => {
    expect(stream.format('plain text\n')).toBe('plain text');
  });
});
