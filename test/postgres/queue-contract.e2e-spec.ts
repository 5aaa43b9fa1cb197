import { describeQueueContract } from '../helpers/queue-contract.js';
import { PostgresDatabase } from '../helpers/postgres-database.js';

let database: PostgresDatabase | undefined;
afterAll(async () => database?.drop());

describeQueueContract('PostgreSQL (SKIP LOCKED claims, LISTEN/NOTIFY wake signal)', async () => {
  database ??= await PostgresDatabase.create();
  return database.url;
});
