import { HostileServer } from './helpers/hostile-server.js';
import { startTestApp, type TestApp, waitForCompletion, eventually } from './helpers/test-app.js';
import { productCsv } from './helpers/csv.js';

// With ALLOW_PRIVATE_URLS=false (the default), the service must not reach a server on this very
// machine whatever the spelling of its address. Every target here is loopback (or the "this host"
// addresses 0.0.0.0 and ::, which Linux also routes to loopback): a broken guard could only ever
// reach the local recording server, which must see no request at all. Private, link-local and
// metadata ranges are proved without traffic in src/http/address-policy.spec.ts and
// src/http/safe-http-client.spec.ts (injected DNS answers), and so are names such as
// app.localhost or LOCALHOST., which the hosts file may not answer: were the name check broken, a
// test here would send a DNS query to the resolver.

describe('SSRF: with ALLOW_PRIVATE_URLS=false nothing on loopback is fetched or called', () => {
  const target = new HostileServer();
  let service: TestApp;

  beforeAll(async () => {
    await target.start({ ipv6: true });
    // The default retry schedule: a blocked webhook address is a permanent failure, not retried for hours.
    service = await startTestApp({ ALLOW_PRIVATE_URLS: 'false' });
  });

  afterAll(async () => {
    await service?.close();
    await target.stop();
  });

  it('every loopback spelling fails blocked_address, the webhook is not called, and the local server sees nothing', async () => {
    const port = target.portNumber;
    const spellings = [
      `http://127.0.0.1:${port}/images/animated.gif`,
      `http://127.1:${port}/images/animated.gif`,
      `http://2130706433:${port}/images/animated.gif`,
      `http://0x7f000001:${port}/images/animated.gif`,
      `http://0177.0.0.1:${port}/images/animated.gif`,
      `http://127.0.0.1.:${port}/images/animated.gif`,
      `http://127.254.1.2:${port}/images/animated.gif`,
      `http://[::ffff:127.0.0.1]:${port}/images/animated.gif`,
      `http://[0:0:0:0:0:ffff:7f00:1]:${port}/images/animated.gif`,
      `http://[::1]:${port}/images/animated.gif`,
      `http://localhost:${port}/images/animated.gif`,
      `http://0.0.0.0:${port}/images/animated.gif`,
      `http://0:${port}/images/animated.gif`,
      `http://[::]:${port}/images/animated.gif`,
      `https://127.0.0.1:${port}/images/animated.gif`,
    ];
    const csv = productCsv(spellings);
    const { body: upload } = await service.http
      .post('/upload')
      .field('webhook_url', `http://127.0.0.1:${port}/webhook`)
      .attach('file', Buffer.from(csv), { filename: 'ssrf.csv', contentType: 'text/csv' })
      .expect(202);

    const status = await waitForCompletion(service.http, upload.request_id, 20_000);
    expect(status).toMatchObject({
      status: 'failed',
      total_images: spellings.length,
      failed_images: spellings.length,
    });
    const { body: page } = await service.http
      .get(`/requests/${upload.request_id}/images?limit=100`)
      .expect(200);
    expect(page.images.map((image: any) => image.input_url)).toEqual(spellings);
    for (const image of page.images) {
      expect(image, image.input_url).toMatchObject({
        status: 'failed',
        error_code: 'blocked_address',
        output_url: null,
      });
      expect(image.error, image.input_url).toMatch(
        /^blocked_address: (address|host) .+ is not allowed \((loopback|unspecified|localhost)\)$/,
      );
    }

    const webhook = await eventually(async () => {
      const { body } = await service.http.get(`/status/${upload.request_id}`).expect(200);
      return body.webhook?.status === 'failed' ? body.webhook : undefined;
    });
    expect(webhook).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_status: null,
      last_error: expect.stringMatching(
        /^blocked_address: address 127\.0\.0\.1 is not allowed \(loopback\)$/,
      ),
    });

    expect(target.requests).toEqual([]);
  });
});
