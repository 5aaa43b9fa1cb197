import { Test } from '@nestjs/testing';
import { loadConfig } from '../config/app-config.js';
import { ConfigModule } from '../config/config.module.js';
import { SafeHttpModule } from './safe-http.module.js';
import { SafeHttpClient } from './safe-http-client.js';

describe('SafeHttpModule', () => {
  it('provides a SafeHttpClient wired to AppConfig and the system DNS lookup', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(loadConfig({ ALLOW_PRIVATE_URLS: 'false' })), SafeHttpModule],
    }).compile();
    const client = moduleRef.get(SafeHttpClient);
    expect(client).toBeInstanceOf(SafeHttpClient);
    // The config it was given is the one in effect: loopback refused, nothing sent.
    await expect(client.download('http://127.0.0.1:9/x')).rejects.toMatchObject({ code: 'blocked_address' });
    await moduleRef.close(); // runs GuardedAgents' onApplicationShutdown: agents destroyed
  });
});
