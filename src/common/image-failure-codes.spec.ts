import { describeFailure, IMAGE_FAILURE_CODES } from './image-failure-codes.js';

describe('describeFailure', () => {
  it.each(Object.entries(IMAGE_FAILURE_CODES))('%s has its own words', (code, text) => {
    expect(describeFailure(code)).toBe(text);
    expect(text.explanation).not.toContain(code); // plain words, not the code again
  });

  it.each([
    ['http_404', 'Not found', 'no image at this address (HTTP 404)'],
    ['http_410', 'Not found', '(HTTP 410)'],
    ['http_403', 'Access refused', 'needs a login or is not public'],
    ['http_401', 'Access refused', '(HTTP 401)'],
    ['http_429', 'Server busy', 'it was retried'],
    ['http_503', 'Server error', 'a problem of its own (HTTP 503)'],
    ['http_400', 'HTTP 400', 'answered HTTP 400 instead of sending the image'],
    ['http_302', 'HTTP 302', 'answered HTTP 302'],
  ])('%s: %s', (code, label, words) => {
    const text = describeFailure(code);
    expect(text.label).toBe(label);
    expect(text.explanation).toContain(words);
  });

  it('gives an unknown code neutral words, and never an inherited property', () => {
    expect(describeFailure('something_new')).toEqual({
      label: 'something_new',
      explanation: 'The image could not be processed; the message says why.',
    });
    expect(describeFailure('toString').label).toBe('toString');
  });
});
