/**
 * The columns an upload writes, and their PostgreSQL types (see bulkInsert): per row, and shared (the
 * same value for every product or image of the upload, bound once per statement).
 */
export const PRODUCT_COLUMNS = {
  row_number: 'integer',
  serial_number: 'text',
  product_name: 'text',
  cells: 'text',
} as const;

export const PRODUCT_SHARED_COLUMNS = { task_id: 'text' } as const;

export const IMAGE_COLUMNS = {
  id: 'text',
  row_number: 'integer',
  position: 'integer',
  input_url: 'text',
  available_at: 'bigint',
  duplicate_of: 'text',
} as const;

/** An upload's images are its task's, queued, never tried. */
export const IMAGE_SHARED_COLUMNS = { task_id: 'text', status: 'text', attempts: 'integer' } as const;
