/** The columns an upload writes, and their PostgreSQL types (see bulkInsert). */
export const PRODUCT_COLUMNS = {
  task_id: 'text',
  row_number: 'integer',
  serial_number: 'text',
  product_name: 'text',
  cells: 'text',
} as const;

export const IMAGE_COLUMNS = {
  id: 'text',
  task_id: 'text',
  row_number: 'integer',
  position: 'integer',
  input_url: 'text',
  status: 'text',
  attempts: 'integer',
  available_at: 'bigint',
  duplicate_of: 'text',
} as const;
