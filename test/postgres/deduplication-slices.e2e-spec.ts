import { duplicateFanOutCases } from '../helpers/duplicate-fan-out.js';
import { PostgresDatabase } from '../helpers/postgres-database.js';
import { startTestApp } from '../helpers/test-app.js';

describe('a URL repeated thousands of times in one request (PostgreSQL)', () => {
  let database: PostgresDatabase;

  beforeEach(async () => {
    database = await PostgresDatabase.create();
  });
  afterEach(async () => {
    await database?.drop();
  });

  duplicateFanOutCases((dataDir) =>
    startTestApp({ DOWNLOAD_RETRIES: '0', DATABASE_URL: database.url }, { dataDir }),
  );
});
