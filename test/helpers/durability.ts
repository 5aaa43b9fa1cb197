import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { countRows } from './database-counts.js';

/** The arguments of supertest's attach() for a CSV file part. */
export function csvFile(
  csv: string,
  filename = 'products.csv',
): [Buffer, { filename: string; contentType: string }] {
  return [Buffer.from(csv), { filename, contentType: 'text/csv' }];
}

export interface RowCounts {
  tasks: number;
  products: number;
  images: number;
  webhook_deliveries: number;
}

/** Rows in every table of the service's SQLite file (read-only). */
export function rowCounts(dataDir: string): RowCounts {
  return {
    tasks: countRows(dataDir, 'tasks'),
    products: countRows(dataDir, 'products'),
    images: countRows(dataDir, 'images'),
    webhook_deliveries: countRows(dataDir, 'webhook_deliveries'),
  };
}

/** Every file under `dir`, as paths relative to it, sorted. */
export function filesUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else found.push(relative(dir, path));
    }
  };
  walk(dir);
  return found.sort();
}

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
