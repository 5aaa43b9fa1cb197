import { PostgresDatabase } from '../helpers/postgres-database.js';
import { answersFor, INVALID_REQUEST_IDS, UNKNOWN_REQUEST_ID } from '../helpers/request-id-cases.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/** The uuid column makes PostgreSQL refuse to compare a non-UUID: the id must be refused before any query. */
describe('request ids on PostgreSQL', () => {
  let database: PostgresDatabase;
  let service: TestApp;

  beforeAll(async () => {
    database = await PostgresDatabase.create();
    service = await startTestApp({ DATABASE_URL: database.url });
  });

  afterAll(async () => {
    await service?.close();
    await database?.drop();
  });

  it.each(INVALID_REQUEST_IDS)('refuses %j with 400 on every operation, as on SQLite', async (id) => {
    const answers = await answersFor(service, id);
    expect(answers.map(({ operation, status, body }) => [operation, status, body.errors])).toEqual(
      answers.map(({ operation }) => [
        operation,
        400,
        [{ row: null, column: 'request_id', message: 'request_id must be a UUID' }],
      ]),
    );
  });

  it('answers 404 for a well-formed unknown request id', async () => {
    const answers = await answersFor(service, UNKNOWN_REQUEST_ID);
    expect(answers.map(({ operation, status }) => [operation, status])).toEqual(
      answers.map(({ operation }) => [operation, 404]),
    );
  });
});
