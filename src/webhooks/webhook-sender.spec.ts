import { Test, type TestingModule } from '@nestjs/testing';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { fakeDns } from '../../test/helpers/fake-dns.js';
import { loopbackOnly } from '../../test/helpers/loopback-only.js';
import { closeServer, freePort, listenOnLoopback } from '../../test/helpers/loopback-server.js';
import { loadConfig } from '../config/app-config.js';
import { ConfigModule } from '../config/config.module.js';
import type { LookupAllFunction } from '../http/address-policy.js';
import { GuardedAgents, SAFE_HTTP_DNS_LOOKUP } from '../http/guarded-agents.js';
import { SafeHttpModule } from '../http/safe-http.module.js';
import { WebhookSender } from './webhook-sender.js';
import { WebhookSigner } from './webhook-signer.js';

// Everything here talks to a server on 127.0.0.1 only: names are resolved by a fake DNS, and the agents are
// loopbackOnly, so a URL the guard should refuse fails its test, without a packet, if the guard lets it by.

const SECRET = `whsec_${Buffer.from('pixelmill-webhook-sender-spec-key').toString('base64')}`;
const PAYLOAD = '{"type":"request.completed","request_id":"r1"}';

interface SeenPost {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const seen: SeenPost[] = [];
/** How far the `endless` route got before the client hung up. */
const endless = { bytesSent: 0, closed: false };
let server: Server;
let port: number;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      const [, route, arg] = url.pathname.split('/');
      switch (route) {
        case 'status': {
          const retryAfter = url.searchParams.get('retryAfter');
          res.writeHead(Number(arg), retryAfter ? { 'Retry-After': retryAfter } : {}).end('status body');
          return;
        }
        case 'redirect':
          res.writeHead(302, { Location: '/status/200' }).end();
          return;
        case 'hang': // never answers (the connection closes when the client gives up)
          return;
        case 'endless': {
          // 200 at once, then a body that never ends: 64 KiB every 5 ms until the client hangs up.
          res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
          const timer = setInterval(() => {
            res.write(Buffer.alloc(65_536));
            endless.bytesSent += 65_536;
          }, 5);
          res.on('close', () => {
            clearInterval(timer);
            endless.closed = true;
          });
          return;
        }
        default:
          res.writeHead(204).end();
      }
    });
  });
  ({ port, base } = await listenOnLoopback(server));
});

afterAll(() => closeServer(server));

const modules: TestingModule[] = [];

beforeEach(() => {
  seen.length = 0;
});

afterEach(async () => {
  for (const moduleRef of modules.splice(0)) await moduleRef.close();
});

/** The sender as the app wires it: SafeHttpModule's client, the signer, the given configuration. */
async function makeSender(
  env: Record<string, string> = {},
  lookup?: LookupAllFunction,
): Promise<WebhookSender> {
  const config = loadConfig({
    ALLOW_PRIVATE_URLS: 'true',
    WEBHOOK_TIMEOUT_MS: '500',
    WEBHOOK_SECRET: SECRET,
    ...env,
  });
  let builder = Test.createTestingModule({
    imports: [ConfigModule.forRoot(config), SafeHttpModule],
    providers: [WebhookSigner, WebhookSender],
  });
  if (lookup) builder = builder.overrideProvider(SAFE_HTTP_DNS_LOOKUP).useValue(lookup);
  const moduleRef = await builder.compile();
  await moduleRef.init();
  modules.push(moduleRef);
  const agents = moduleRef.get(GuardedAgents);
  loopbackOnly(agents.http, agents.https);
  return moduleRef.get(WebhookSender);
}

const message = (url: string) => ({ id: 'msg_0123456789abcdef0123456789abcdef', url, payload: PAYLOAD });

describe('WebhookSender with ALLOW_PRIVATE_URLS=false', () => {
  it.each([
    'http://127.0.0.1:PORT/hook',
    'http://127.1:PORT/hook',
    'http://2130706433:PORT/hook',
    'http://0x7f000001:PORT/hook',
    'http://[::ffff:127.0.0.1]:PORT/hook',
    'http://[::1]:PORT/hook',
    'http://localhost:PORT/hook',
    'https://127.0.0.1:PORT/hook',
    'http://10.0.0.1/hook',
    'http://172.16.5.4:8080/hook',
    'https://192.168.1.1/hook',
    'http://100.64.0.1/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00::1]/hook',
    'http://[fe80::1]/hook',
    'http://[::ffff:10.0.0.1]/hook',
    'http://0.0.0.0:PORT/hook',
  ])('refuses %s before any connection or lookup, for good', async (template) => {
    const dns = fakeDns('127.0.0.1');
    const sender = await makeSender({ ALLOW_PRIVATE_URLS: 'false' }, dns);
    const outcome = await sender.attempt(message(template.replace('PORT', String(port))));
    expect(outcome).toMatchObject({
      status: null,
      error: expect.stringMatching(/^blocked_address: /),
      permanent: true,
    });
    expect(seen).toHaveLength(0);
    expect(dns).not.toHaveBeenCalled();
  });

  it.each(['http', 'https'])(
    'refuses a public-looking name that resolves to 127.0.0.1 over %s, when connecting (DNS rebinding)',
    async (scheme) => {
      const dns = fakeDns('127.0.0.1');
      const sender = await makeSender({ ALLOW_PRIVATE_URLS: 'false' }, dns);
      const outcome = await sender.attempt(message(`${scheme}://hooks.example:${port}/hook`));
      expect(outcome).toMatchObject({
        status: null,
        error: 'blocked_address: host hooks.example does not resolve to a public address',
        permanent: true,
      });
      expect(outcome.detail).toContain('127.0.0.1'); // for the log, not for the client
      expect(dns).toHaveBeenCalledWith(
        'hooks.example',
        expect.objectContaining({ all: true }),
        expect.any(Function),
      );
      expect(seen).toHaveLength(0);
    },
  );

  it.each([
    ['10.0.0.1'],
    ['172.16.5.4'],
    ['192.168.1.1'],
    ['100.64.0.1'],
    ['169.254.169.254'],
    ['fd00::1'],
    ['fe80::1'],
    ['::ffff:192.168.1.1'],
    ['93.184.215.14', '10.0.0.1'], // one private address among public ones is enough
  ])('refuses a name that resolves to %s, when connecting, for good', async (...addresses) => {
    const dns = fakeDns(...addresses);
    const sender = await makeSender({ ALLOW_PRIVATE_URLS: 'false' }, dns);
    const outcome = await sender.attempt(message('https://hooks.example/hook'));
    expect(outcome).toMatchObject({
      status: null,
      error: 'blocked_address: host hooks.example does not resolve to a public address',
      permanent: true,
    });
    expect(outcome.detail).toContain(addresses.at(-1)); // for the log, not for the client
    expect(dns).toHaveBeenCalledWith('hooks.example', expect.anything(), expect.any(Function));
    expect(seen).toHaveLength(0);
  });

  it('refuses a scheme other than http(s), for good', async () => {
    const outcome = await (
      await makeSender({ ALLOW_PRIVATE_URLS: 'false' })
    ).attempt(message('ftp://hooks.example/x'));
    expect(outcome).toMatchObject({ error: 'invalid_url: unsupported protocol ftp:', permanent: true });
  });

  it('maps a name that does not resolve to dns_failed, retried', async () => {
    const dns = vi.fn<LookupAllFunction>((hostname, _options, callback) =>
      callback(
        Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }),
        [],
      ),
    );
    const outcome = await (
      await makeSender({ ALLOW_PRIVATE_URLS: 'false' }, dns)
    ).attempt(message('http://nx.example/hook'));
    expect(outcome).toMatchObject({
      status: null,
      error: 'dns_failed: nx.example not found',
      permanent: false,
    });
  });
});

describe('WebhookSender with ALLOW_PRIVATE_URLS=true', () => {
  it('POSTs the payload as JSON, signed per Standard Webhooks, and returns the status', async () => {
    const outcome = await (await makeSender()).attempt(message(`${base}/hook`));
    expect(outcome).toEqual({ status: 204, error: null, retryAfterMs: undefined, permanent: false });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ url: '/hook', body: PAYLOAD });
    expect(seen[0].headers).toMatchObject({
      'content-type': 'application/json',
      'webhook-id': 'msg_0123456789abcdef0123456789abcdef',
    });
    expect(new Webhook(SECRET).verify(seen[0].body, seen[0].headers as Record<string, string>)).toEqual(
      JSON.parse(PAYLOAD),
    );
  });

  it('connects through the injected lookup (so the rebinding test above is meaningful)', async () => {
    const dns = fakeDns('127.0.0.1');
    const outcome = await (await makeSender({}, dns)).attempt(message(`http://hooks.example:${port}/hook`));
    expect(outcome.status).toBe(204);
    expect(dns).toHaveBeenCalledWith('hooks.example', expect.anything(), expect.any(Function));
    expect(seen[0].headers.host).toBe(`hooks.example:${port}`);
  });

  it('returns an error status with its Retry-After, to be retried', async () => {
    const outcome = await (await makeSender()).attempt(message(`${base}/status/503?retryAfter=120`));
    expect(outcome).toEqual({ status: 503, error: 'HTTP 503', retryAfterMs: 120_000, permanent: false });
  });

  it('takes 410 Gone as final', async () => {
    const outcome = await (await makeSender()).attempt(message(`${base}/status/410`));
    expect(outcome).toMatchObject({ status: 410, error: 'HTTP 410', permanent: true });
  });

  it('returns a 302 as its status, without following it', async () => {
    const outcome = await (await makeSender()).attempt(message(`${base}/redirect`));
    expect(outcome).toMatchObject({ status: 302, error: 'HTTP 302', permanent: false });
    expect(seen.map((post) => post.url)).toEqual(['/redirect']);
  });

  it('gives up on a receiver that does not answer within WEBHOOK_TIMEOUT_MS: timeout, retried', async () => {
    const outcome = await (await makeSender({ WEBHOOK_TIMEOUT_MS: '300' })).attempt(message(`${base}/hang`));
    expect(outcome).toMatchObject({
      status: null,
      error: 'timeout: request timed out after 300 ms',
      permanent: false,
    });
  });

  it('never reads the body: a receiver that streams one without end is cut off at its headers', async () => {
    Object.assign(endless, { bytesSent: 0, closed: false });
    const outcome = await (
      await makeSender({ WEBHOOK_TIMEOUT_MS: '60000' })
    ).attempt(message(`${base}/endless`));
    expect(outcome).toMatchObject({ status: 200, error: null });
    await vi.waitFor(() => expect(endless.closed).toBe(true));
    expect(endless.bytesSent).toBeLessThan(10 * 1024 * 1024);
  });

  it('connection refused -> connection_failed, retried', async () => {
    const outcome = await (await makeSender()).attempt(message(`http://127.0.0.1:${await freePort()}/hook`));
    expect(outcome).toMatchObject({
      status: null,
      error: expect.stringMatching(/^connection_failed: /),
      permanent: false,
    });
  });

  it('ignores proxy settings from the environment (a proxy would resolve names past the guard)', async () => {
    for (const name of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy']) vi.stubEnv(name, base);
    for (const name of ['NO_PROXY', 'no_proxy']) vi.stubEnv(name, '');
    try {
      const dns = fakeDns('127.0.0.1');
      const outcome = await (await makeSender({}, dns)).attempt(message(`http://hooks.example:${port}/hook`));
      expect(outcome.status).toBe(204);
      // Sent straight to the receiver, through the guarded lookup: a proxy would have seen an absolute URL.
      expect(dns).toHaveBeenCalled();
      expect(seen.map((post) => post.url)).toEqual(['/hook']);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
