import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpRequestId } from './http-request-id.js';

function idFor(header: string | string[] | undefined) {
  const headers: Record<string, string> = {};
  const req = { headers: { 'x-request-id': header } } as unknown as IncomingMessage;
  const res = {
    setHeader: (name: string, value: string) => (headers[name] = value),
  } as unknown as ServerResponse;
  const id = httpRequestId(req, res);
  expect(headers['X-Request-Id']).toBe(id);
  return id;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('httpRequestId', () => {
  it.each(['abc-123', 'trace.id:7_x', '0f8fad5b-d9cb-469f-a165-70867728950e', 'a'.repeat(64)])(
    'keeps the sane token %j',
    (header) => expect(idFor(header)).toBe(header),
  );

  it.each([
    undefined,
    '',
    'a'.repeat(65),
    'x'.repeat(100_000),
    'has space',
    'quote"d',
    'new\nline',
    '-leading-dash',
    '<script>',
    ['a', 'b'],
  ])('replaces %j with a new UUID', (header) => expect(idFor(header)).toMatch(UUID));
});
