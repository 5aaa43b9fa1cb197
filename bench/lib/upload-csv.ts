import { productCsv } from '../../test/helpers/csv.js';

/** The URLs of one row of the upload phase's CSVs: three small images, distinct by `tag` and row. */
export const uploadRowUrls = (imageBase: string, tag: string) => (row: number) =>
  [1, 2, 3].map((k) => `${imageBase}/small.jpg?batch=${tag}&u=${row}-${k}`);

export function uploadCsv(rows: number, imageBase: string, tag: string): string {
  const urls = uploadRowUrls(imageBase, tag);
  return productCsv(Array.from({ length: rows }, (_, index) => urls(index + 1)));
}
