import request from 'supertest';

/** GETs a URL on any loopback origin, the body as bytes whatever its type. */
export function download(url: string) {
  const { origin, pathname } = new URL(url);
  return request(origin)
    .get(pathname)
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
}
