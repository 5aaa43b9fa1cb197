import { failureCodeLabel } from './failure-code-label.js';

describe('failureCodeLabel', () => {
  it.each([
    ['timeout', 'timeout'],
    ['decode_error', 'decode_error'],
    ['worker_crashed', 'worker_crashed'],
    ['http_404', 'http_404'],
    ['http_503', 'http_503'],
    ['http_599', 'http_other'],
    ['http_1234', 'other'],
    ['something_new', 'other'],
    ['', 'other'],
  ])('%j is labelled %j', (code, label) => {
    expect(failureCodeLabel(code)).toBe(label);
  });
});
