import { CsvValidationError } from './csv-validation.error.js';

/** The refusal of a file whose bytes are not CSV text, whatever its declared type. */
const NOT_CSV_TEXT = 'unsupported_media';

/**
 * Decodes the upload as UTF-8 text, piece by piece (BOM dropped). The bytes decide, not the declared
 * type: binary data (an image or a spreadsheet renamed .csv), UTF-16 and other encodings are refused
 * with 415 as soon as a piece shows it.
 */
export async function* decodeCsvText(
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let first = true;
  const notUtf8 = () =>
    new CsvValidationError(
      'the file is not UTF-8 text: save it as "CSV UTF-8" and upload it again',
      [],
      NOT_CSV_TEXT,
    );
  for await (const bytes of source) {
    if (bytes.length === 0) continue;
    if (
      first &&
      bytes.length >= 2 &&
      ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
    ) {
      throw new CsvValidationError(
        'the file is UTF-16 text: save it as "CSV UTF-8" and upload it again',
        [],
        NOT_CSV_TEXT,
      );
    }
    first = false;
    if (bytes.includes(0)) {
      throw new CsvValidationError(
        'the file holds binary data, not CSV text (an image or a spreadsheet?): upload a CSV file',
        [],
        NOT_CSV_TEXT,
      );
    }
    try {
      yield decoder.decode(bytes, { stream: true });
    } catch (error) {
      if (error instanceof TypeError) throw notUtf8();
      throw error;
    }
  }
  try {
    yield decoder.decode();
  } catch (error) {
    if (error instanceof TypeError) throw notUtf8();
    throw error;
  }
}
