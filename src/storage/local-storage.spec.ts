import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describeStorageContract } from '../../test/helpers/storage-contract.js';
import { loadConfig } from '../config/app-config.js';
import { LocalStorage } from './local-storage.js';

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

/** A started LocalStorage on `dir` (as Nest starts it); a shared database unless told otherwise. */
async function startLocal(dir: string, env: Record<string, string> = {}): Promise<LocalStorage> {
  const storage = new LocalStorage(
    loadConfig({ STORAGE_DIR: dir, DATABASE_URL: 'postgres://u@db.invalid/pm', ...env }),
  );
  await storage.onModuleInit();
  return storage;
}

describeStorageContract('local', async (env = {}) => {
  const parent = await mkdtemp(join(tmpdir(), 'pixelmill-local-'));
  const dir = join(parent, 'images');
  const storage = await startLocal(dir, env);
  return {
    storage,
    // The volume is gone and a file stands where the folder was: every write fails.
    async breakStore() {
      await rm(dir, { recursive: true, force: true });
      await writeFile(dir, 'not a folder');
    },
    keys: async () => (await filesUnder(dir)).filter((file) => !file.startsWith('.incoming/')),
    async close() {
      await storage.onApplicationShutdown();
      await rm(parent, { recursive: true, force: true });
    },
  };
});

describe('LocalStorage staging', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pixelmill-staging-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('gives each process its own staging folder: a process starting does not break a running one', async () => {
    const running = await startLocal(dir);
    await running.put('r/a.jpg', Buffer.from('a'));
    const starting = await startLocal(dir);
    expect(starting.stagingDir).not.toBe(running.stagingDir);
    await running.put('r/b.jpg', Buffer.from('b'));
    await starting.put('r/c.jpg', Buffer.from('c'));
    expect(await readdir(join(dir, '.incoming'))).toHaveLength(2);
    await starting.onApplicationShutdown();
    await running.put('r/d.jpg', Buffer.from('d'));
    expect(await filesUnder(dir)).toEqual(['r/a.jpg', 'r/b.jpg', 'r/c.jpg', 'r/d.jpg']);
    await running.onApplicationShutdown();
    expect(await readdir(join(dir, '.incoming'))).toEqual([]);
  });

  it('on a shared database, removes only staging left untouched for over an hour', async () => {
    const stale = join(dir, '.incoming', 'dead-process');
    const fresh = join(dir, '.incoming', 'live-neighbour');
    for (const folder of [stale, fresh]) {
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, 'x.tmp'), 'half');
    }
    const longAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(stale, longAgo, longAgo);
    const storage = await startLocal(dir);
    const left = await readdir(join(dir, '.incoming'));
    expect(left).toContain('live-neighbour');
    expect(left).not.toContain('dead-process');
    expect(await filesUnder(join(dir, '.incoming'))).toEqual(['live-neighbour/x.tmp']);
    await storage.onApplicationShutdown();
  });

  it('on the embedded SQLite file (its only writer), removes every leftover of a killed run', async () => {
    await mkdir(join(dir, '.incoming', 'killed-run'), { recursive: true });
    await writeFile(join(dir, '.incoming', 'killed-run', 'x.tmp'), 'half');
    await writeFile(join(dir, '.incoming', 'old-layout.tmp'), 'half');
    const storage = await startLocal(dir, { DATABASE_URL: `sqlite://${join(dir, 'db.sqlite')}` });
    expect(await readdir(join(dir, '.incoming'))).toEqual([storage.stagingDir.split('/').pop()]);
    await storage.onApplicationShutdown();
  });

  it('writes again after its staging folder was taken away (an idle process mistaken for a dead one)', async () => {
    const storage = await startLocal(dir);
    await storage.put('r/a.jpg', Buffer.from('a'));
    await rm(join(dir, '.incoming'), { recursive: true, force: true });
    await rm(join(dir, 'r'), { recursive: true, force: true });
    await storage.put('r/b.jpg', Buffer.from('b'));
    expect(await filesUnder(dir)).toEqual(['r/b.jpg']);
    await storage.onApplicationShutdown();
  });

  it('keeps keys out of the staging folders', async () => {
    const storage = await startLocal(dir);
    const key = `.incoming/${storage.stagingDir.split('/').pop()}/x.tmp`;
    await expect(storage.put(key, Buffer.from('x'))).rejects.toThrow(/staging/);
    await expect(storage.remove(key)).rejects.toThrow(/staging/);
    expect(await storage.open(key)).toBeUndefined();
    expect(await filesUnder(dir)).toEqual([]);
    await storage.onApplicationShutdown();
  });

  it('leaves no staged file behind when a write fails', async () => {
    const storage = await startLocal(dir);
    await writeFile(join(dir, 'blocked'), 'a file where a folder should be');
    await expect(storage.put('blocked/a.jpg', Buffer.from('a'))).rejects.toThrow(/storing blocked\/a\.jpg/);
    expect(await filesUnder(join(dir, '.incoming'))).toEqual([]);
    await storage.onApplicationShutdown();
  });
});
