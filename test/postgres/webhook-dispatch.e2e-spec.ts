import { randomUUID } from 'node:crypto';
import { WebhookSender } from '../../src/webhooks/webhook-sender.js';
import { csvFile } from '../helpers/durability.js';
import { PostgresDatabase } from '../helpers/postgres-database.js';
import { FixtureServer } from '../helpers/fixture-server.js';
import { eventually, startTestApp, type TestApp } from '../helpers/test-app.js';
import { imagesCsv } from '../helpers/csv.js';

const REQUESTS = 20;

/**
 * Two dispatchers on one PostgreSQL database race for the same due deliveries (every retry falls due in
 * both at once): each attempt is claimed by one of them, so the receiver sees each message exactly as many
 * times as attempts were counted.
 */
describe('webhook dispatchers of two instances on one PostgreSQL database', () => {
  const server = new FixtureServer();
  let database: PostgresDatabase;
  let instances: TestApp[] = [];

  beforeAll(async () => {
    await server.start();
    database = await PostgresDatabase.create();
    const env = {
      DATABASE_URL: database.url,
      API_KEYS: 'alice:alice-0123456789abcdefghijklmnop,bob:bob-0123456789abcdefghijklmnopqrs',
      WEBHOOK_RETRY_DELAYS_MS: '0,300',
      WEBHOOK_TIMEOUT_MS: '5000',
    };
    instances = [await startTestApp(env), await startTestApp(env)];
  });

  afterAll(async () => {
    for (const instance of instances) await instance.close();
    await database?.drop();
    await server.stop();
  });

  it('never send the same attempt twice: each message twice (a 500, then a 200), the attempts split between them', async () => {
    const seenIds = new Map<string, number>();
    server.script('/hook', (_attempt, post) => {
      const id = String(post.headers['webhook-id']);
      seenIds.set(id, (seenIds.get(id) ?? 0) + 1);
      return seenIds.get(id) === 1 ? 500 : 200;
    });
    const sent = instances.map((instance) => vi.spyOn(instance.app.get(WebhookSender), 'attempt'));
    const keys = ['alice-0123456789abcdefghijklmnop', 'bob-0123456789abcdefghijklmnopqrs'];
    const ids: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const { body } = await instances[i % 2].http
        .post('/upload')
        .set('Authorization', `Bearer ${keys[i % 2]}`)
        .field('webhook_url', server.url('/hook'))
        .attach('file', ...csvFile(imagesCsv([server.imageUrl('animated.gif', randomUUID())])))
        .expect(202);
      ids.push(body.request_id);
    }
    for (const [i, id] of ids.entries()) {
      const client = instances[0].http;
      const status = await eventually(async () => {
        const { body } = await client.get(`/status/${id}`).set('Authorization', `Bearer ${keys[i % 2]}`);
        return body.webhook?.status === 'delivered' && body;
      }, 30_000);
      expect(status.webhook).toMatchObject({ attempts: 2, last_status: 200 });
    }
    expect(seenIds.size).toBe(REQUESTS);
    expect([...seenIds.values()].every((posts) => posts === 2)).toBe(true);
    expect(server.postsTo('/hook')).toHaveLength(2 * REQUESTS);
    const calls = sent.map((spy) => spy.mock.calls.length);
    expect(calls[0] + calls[1]).toBe(2 * REQUESTS);
    expect(calls.every((count) => count > 0)).toBe(true);
  });
});
