/**
 * The columns an upload writes (see bulkInsert), in the order of its rows' values; the shared ones have
 * the same value for every product or image of the upload.
 */
export const PRODUCT_COLUMNS = ['row_number', 'serial_number', 'product_name', 'cells'] as const;

export const PRODUCT_SHARED_COLUMNS = ['task_id'] as const;

export const IMAGE_COLUMNS = [
  'id',
  'row_number',
  'position',
  'input_url',
  'available_at',
  'duplicate_of',
] as const;

/** An upload's images are its task's, queued, never tried. */
export const IMAGE_SHARED_COLUMNS = ['task_id', 'status', 'attempts'] as const;
