import { randomBytes } from 'node:crypto';
import { FixtureServer } from './helpers/fixture-server.js';
import { startJsonLogServer, type JsonLogServer } from './helpers/json-log-server.js';
import type { ServerProcess } from './helpers/server-process.js';
import { eventually, waitForCompletion } from './helpers/test-app.js';
import { productCsv } from './helpers/csv.js';

const KEY = 'ops-0123456789abcdefghijklmnopq';
const secret = () => `leak${randomBytes(12).toString('hex')}`;

/**
 * A credential sent in a query string by mistake (`?api_key=…`, a signed URL's `X-Amz-Signature`…) is not
 * written to the log: not in the access log's URL or query, not in a referrer, not in the lines about the
 * request's images and webhook. Read from the built server's own output.
 */
describe('credentials in query strings never reach the log (the built server, LOG_FORMAT=json)', () => {
  const fixtures = new FixtureServer();
  let logged: JsonLogServer;
  let server: ServerProcess;

  beforeAll(async () => {
    await fixtures.start();
    logged = await startJsonLogServer({ API_KEYS: `ops:${KEY}` });
    server = logged.server;
  });

  afterAll(async () => {
    await logged?.stop();
    await fixtures.stop();
  });

  it('leaves no trace of the secrets, and still logs the requests', async () => {
    const secrets = Array.from({ length: 8 }, secret);
    const auth = { Authorization: `Bearer ${KEY}` };
    // A key sent as a query parameter is not accepted (401), and not written either.
    await server.http.get(`/requests?api_key=${secrets[0]}`).expect(401);
    await server.http.get(`/requests?limit=5&token=${secrets[1]}`).set(auth).expect(200);
    await server.http
      .get(
        `/status/00000000-0000-4000-8000-000000000000?access_token=${secrets[2]}&X-Amz-Signature=${secrets[3]}`,
      )
      .set(auth)
      .set('Referer', `https://dashboard.example/requests?secret=${secrets[4]}`)
      .expect(404);
    const csv = productCsv([
      [
        fixtures.imageUrl('exif-orientation-6.jpg', `key=${secrets[5]}`),
        fixtures.imageUrl('missing.jpg', `sig=${secrets[6]}`),
      ],
    ]);
    const { body } = await server.http
      .post(`/upload?password=${secrets[7]}`)
      .set(auth)
      .field('webhook_url', `${fixtures.baseUrl}/webhook`)
      .attach('file', Buffer.from(csv), 'redaction.csv')
      .expect(202);
    const asOps = { get: (path: string) => server.http.get(path).set(auth) };
    await waitForCompletion(asOps as unknown as Parameters<typeof waitForCompletion>[0], body.request_id);
    await eventually(() => fixtures.webhooks.length === 1);

    await server.kill('SIGTERM');
    const output = server.runs.join('');
    for (const value of secrets) expect(output).not.toContain(value);

    const lines = logged.lines();
    const urls = lines.flatMap((line) => (line.req ? [line.req.url] : []));
    expect(urls).toEqual(
      expect.arrayContaining([
        '/requests?api_key=[redacted]',
        '/requests?limit=5&token=[redacted]',
        '/status/00000000-0000-4000-8000-000000000000?access_token=[redacted]&X-Amz-Signature=[redacted]',
        '/upload?password=[redacted]',
      ]),
    );
    const listed = lines.find((line) => line.req?.url === '/requests?limit=5&token=[redacted]');
    expect(listed!.req.query).toEqual({ limit: '5', token: '[redacted]' });
    const unknown = lines.find((line) => line.res?.statusCode === 404);
    expect(unknown!.req.headers.referer).toBe('https://dashboard.example/requests?secret=[redacted]');
    expect(lines.some((line) => /failed with http_404/.test(line.msg))).toBe(true);
  });
});
