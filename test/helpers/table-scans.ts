import { tmpdir } from 'node:os';
import { DataSource } from 'typeorm';
import { type AppConfig, loadConfig } from '../../src/config/app-config.js';
import { standaloneDataSourceOptions } from '../../src/standalone-data-source.js';

/** How often PostgreSQL has scanned a table, by its own statistics: whole, or through an index. */
export interface Scans {
  seq: number;
  index: number;
}

/**
 * A data source of one connection on a PostgreSQL database (migrated): the statements it runs and the
 * session whose statistics `flushStatistics` publishes are one.
 */
export async function oneSession(
  databaseUrl: string,
): Promise<{ config: AppConfig; dataSource: DataSource }> {
  const config = loadConfig({ DATABASE_URL: databaseUrl, DATA_DIR: tmpdir(), CONCURRENCY: '1' });
  const dataSource = await new DataSource({
    ...standaloneDataSourceOptions(config),
    extra: { max: 1 },
  }).initialize();
  return { config, dataSource };
}

/**
 * The session's table scans, published: a session reports them when it next goes idle, and
 * pg_stat_force_next_flush makes that report certain, before it answers.
 */
async function flushStatistics(dataSource: DataSource): Promise<void> {
  await dataSource.query('SELECT pg_stat_force_next_flush()');
}

async function scansOf(dataSource: DataSource, table: string): Promise<Scans> {
  const [row] = await dataSource.query(
    'SELECT seq_scan AS seq, COALESCE(idx_scan, 0) AS index FROM pg_stat_user_tables WHERE relname = $1',
    [table],
  );
  return { seq: Number(row.seq), index: Number(row.index) };
}

/** Turns autovacuum off on the tables: no ANALYZE but the test's (or the code's under test) renews a plan. */
export async function withoutAutovacuum(dataSource: DataSource, tables: string[]): Promise<void> {
  for (const table of tables) await dataSource.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
}

/** The scans of each table that `work`, run on the one-connection `dataSource`, made. */
export async function scansDuring(
  dataSource: DataSource,
  tables: string[],
  work: () => Promise<void>,
): Promise<Record<string, Scans>> {
  const counts = async () => {
    await flushStatistics(dataSource);
    return Promise.all(tables.map((table) => scansOf(dataSource, table)));
  };
  const before = await counts();
  await work();
  const after = await counts();
  return Object.fromEntries(
    tables.map((table, n) => [
      table,
      { seq: after[n].seq - before[n].seq, index: after[n].index - before[n].index },
    ]),
  );
}
