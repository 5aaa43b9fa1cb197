/** The columns an upload writes (see bulkInsert), in the order of its rows' values. */
export const PRODUCT_COLUMNS = ['task_id', 'row_number', 'serial_number', 'product_name', 'cells'] as const;

export const IMAGE_COLUMNS = [
  'id',
  'task_id',
  'row_number',
  'position',
  'input_url',
  'status',
  'attempts',
  'available_at',
  'duplicate_of',
] as const;
