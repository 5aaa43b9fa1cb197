import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One CSV row: its original cells are kept for the export. */
@Entity('products')
export class Product {
  @PrimaryColumn({ name: 'task_id', type: 'varchar', length: 36 })
  taskId: string;

  /** The row number as a spreadsheet counts it (header = 1). */
  @PrimaryColumn({ name: 'row_number', type: 'integer' })
  rowNumber: number;

  @Column({ name: 'serial_number', type: 'text' })
  serialNumber: string;

  @Column({ name: 'product_name', type: 'text' })
  productName: string;

  /** The row's cells as uploaded, in header order, without trailing empty cells (the export pads them back). */
  @Column({ type: 'simple-json' })
  cells: string[];
}
