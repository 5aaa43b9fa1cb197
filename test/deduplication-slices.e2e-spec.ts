import { duplicateFanOutCases } from './helpers/duplicate-fan-out.js';
import { startTestApp } from './helpers/test-app.js';

describe('a URL repeated thousands of times in one request (SQLite)', () => {
  duplicateFanOutCases((dataDir) => startTestApp({ DOWNLOAD_RETRIES: '0' }, { dataDir }));
});
