import { request } from 'node:http';

const BOUNDARY = 'pixelmill-partial-upload';

/**
 * Starts a multipart POST /upload of a CSV of `totalBytes` and sends only its first `sentBytes`, holding the
 * connection open, as a client in the middle of a large upload. `stop()` drops the connection.
 */
export function startPartialUpload(baseUrl: string, totalBytes: number, sentBytes: number): { stop(): void } {
  const head = Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="large.csv"\r\nContent-Type: text/csv\r\n\r\nS. No.,Product Name,Input Image Urls\n`,
  );
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  const row = Buffer.from('1,P,http://127.0.0.1:9/a.jpg\n');
  const post = request(`${baseUrl}/upload`, {
    method: 'POST',
    headers: {
      'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
      'Content-Length': String(totalBytes + head.length + tail.length),
    },
  });
  post.on('error', () => undefined); // the server is killed under it
  post.write(head);
  const rows = Buffer.concat(Array.from({ length: Math.ceil(sentBytes / row.length) }, () => row));
  post.write(rows.subarray(0, sentBytes));
  return { stop: () => post.destroy() };
}
