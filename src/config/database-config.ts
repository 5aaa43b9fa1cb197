import { Matches } from 'class-validator';
import { join } from 'node:path';
import type { AppConfig } from './app-config.js';
import type { Concern } from './concern.js';
import { derived, Variable } from './variable.js';

/** Where the requests, tasks and queue are kept: the embedded SQLite file or PostgreSQL. */
export class DatabaseConfig {
  @Variable('DATABASE_URL', {
    secret: true,
    default: derived(
      (_: DatabaseConfig, { server }: AppConfig) => `sqlite://${join(server.dataDir, 'pixelmill.sqlite')}`,
    ),
    shown: '`sqlite://DATA_DIR/pixelmill.sqlite`',
    description: '`sqlite://<file>` or `postgres://…`',
  })
  @Matches(/^(postgres(ql)?|sqlite):\/\/.+/, {
    message: 'DATABASE_URL must be a postgres://… or sqlite://<file> URL',
  })
  readonly url: string;

  get isPostgres(): boolean {
    return /^postgres(ql)?:/.test(this.url);
  }
}

export const database: Concern<DatabaseConfig> = {
  title: 'Database',
  schema: DatabaseConfig,
  check: (values, { server }, refuse) =>
    server.role !== 'all' && !values.isPostgres
      ? [
          refuse(
            'ROLE',
            'needs DATABASE_URL=postgres://… (the embedded SQLite file serves one process: use ROLE=all)',
          ),
        ]
      : [],
};
