import { ValueTransformer } from 'typeorm';

/** A bigint column read as a number (PostgreSQL's driver returns a string): byte totals stay far below 2⁵³. */
export const bigintNumber: ValueTransformer = {
  to: (value?: number | null) => value,
  from: (value?: string | number | null) => (value === null || value === undefined ? value : Number(value)),
};
