import { ValueTransformer } from 'typeorm';

/** Times are stored as epoch milliseconds (bigint), which compare and sort the same on SQLite and PostgreSQL. */
export const epochMs: ValueTransformer = {
  to: (value?: number | null) => value,
  from: (value?: string | number | null) => (value === null || value === undefined ? value : Number(value)),
};
