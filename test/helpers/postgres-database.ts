import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A fresh PostgreSQL database on the server of TEST_DATABASE_URL, dropped by `drop()`. */
export class PostgresDatabase {
  private constructor(
    private readonly serverUrl: URL,
    readonly name: string,
  ) {}

  static async create(): Promise<PostgresDatabase> {
    const serverUrl = process.env.TEST_DATABASE_URL;
    if (!serverUrl)
      throw new Error(
        'TEST_DATABASE_URL must name a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/test',
      );
    const database = new PostgresDatabase(
      new URL(serverUrl),
      `pixelmill_test_${randomBytes(6).toString('hex')}`,
    );
    await database.admin(`CREATE DATABASE ${database.name}`);
    return database;
  }

  get url(): string {
    const url = new URL(this.serverUrl);
    url.pathname = `/${this.name}`;
    return url.toString();
  }

  async drop(): Promise<void> {
    await this.admin(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`);
  }

  private async admin(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.serverUrl.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
}
