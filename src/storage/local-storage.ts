import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { promisify } from 'node:util';
import { dirname, join, resolve, sep } from 'node:path';
import { AppConfig } from '../config/app-config.js';
import { contentTypeOf, isStorageKey, publicUrlOf, requireStorageKey } from './storage-key.js';
import { StorageUnavailableError } from './storage-unavailable.error.js';
import { Storage, StoredObject } from './storage.js';

/** The callback form: fs/promises' writeFile goes through a FileHandle per call, which the bench measured as ~0.15 ms of CPU per image. */
const writeFileFast = promisify(writeFile);

/** Where writes are staged before their rename: one folder per process under it. */
const INCOMING = '.incoming';
/** A staging folder untouched this long belongs to a dead process (a live one touches its own far more often). */
const STALE_STAGING_MS = 3600_000;
const TOUCH_INTERVAL_MS = STALE_STAGING_MS / 6;
/** How many folders are remembered as existing (a write into one of them costs no mkdir). */
const KNOWN_FOLDERS = 256;

/** Files under STORAGE_DIR, served by FilesController at PUBLIC_URL/files/<key> (or by STORAGE_PUBLIC_URL). */
@Injectable()
export class LocalStorage extends Storage implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(LocalStorage.name);
  private readonly root: string;
  /** This process's own staging folder: no other process writes, renames or deletes in it. */
  readonly stagingDir: string;
  /** Folders known to exist, most recently used last; bounded. */
  private readonly folders = new Map<string, true>();
  private touchTimer?: NodeJS.Timeout;

  constructor(private readonly config: AppConfig) {
    super();
    this.root = resolve(config.storage.dir);
    this.stagingDir = join(this.root, INCOMING, `${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  /**
   * Drops what killed runs left in staging, before the queue takes any image. On the embedded SQLite file this
   * process is the only writer, so every leftover goes; on a database shared by several processes only
   * staging folders untouched for an hour do (a running neighbour's folder is never touched).
   */
  async onModuleInit(): Promise<void> {
    const incoming = join(this.root, INCOMING);
    const staleBefore = this.config.database.isPostgres ? Date.now() - STALE_STAGING_MS : Infinity;
    const entries = await readdir(incoming).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    for (const entry of entries) {
      const path = join(incoming, entry);
      const info = await stat(path).catch(() => undefined);
      if (info && info.mtimeMs < staleBefore) await rm(path, { recursive: true, force: true });
    }
    await this.ensureFolder(this.stagingDir);
    this.touchTimer = setInterval(() => void this.touchStaging(), TOUCH_INTERVAL_MS);
    this.touchTimer.unref();
  }

  /** Removes this process's staging folder (runs after the queue drained its images). */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.touchTimer);
    await rm(this.stagingDir, { recursive: true, force: true }).catch((error: Error) =>
      this.logger.warn(`removing ${this.stagingDir}: ${error.message}`),
    );
  }

  /** The file behind a key, or undefined when it is not a storage key (so it cannot leave the folder or enter staging). */
  pathOf(key: string): string | undefined {
    if (!isStorageKey(key) || key.split('/')[0] === INCOMING) return undefined;
    const path = resolve(this.root, key);
    return path.startsWith(this.root + sep) ? path : undefined;
  }

  async put(key: string, body: Buffer): Promise<void> {
    const path = this.requirePath(key);
    // Write aside, then rename: a reader or a crash never sees half a file. A missing folder (removed by an
    // operator, or this idle process's staging folder taken for a dead one's) is made again, once.
    for (let attempt = 1; ; attempt++) {
      const temporary = join(this.stagingDir, `${randomUUID()}.tmp`);
      try {
        await Promise.all([this.ensureFolder(dirname(path)), this.ensureFolder(this.stagingDir)]);
        await writeFileFast(temporary, body);
        await rename(temporary, path);
        return;
      } catch (error) {
        await rm(temporary, { force: true }).catch(() => undefined);
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' && attempt === 1) {
          this.folders.clear();
          continue;
        }
        throw unavailable(`storing ${key}`, error);
      }
    }
  }

  async remove(key: string): Promise<void> {
    const path = this.requirePath(key);
    await rm(path, { force: true }).catch((error: unknown) => {
      throw unavailable(`removing ${key}`, error);
    });
  }

  async open(key: string): Promise<StoredObject | undefined> {
    const path = this.pathOf(key);
    if (!path) return undefined;
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
      throw unavailable(`reading ${key}`, error);
    }
    const info = await handle.stat().catch(async (error: unknown) => {
      await handle.close();
      throw unavailable(`reading ${key}`, error);
    });
    if (!info.isFile()) {
      await handle.close();
      return undefined;
    }
    // The stream owns the handle from here: it closes it at the end, on error and when destroyed.
    const body = handle.createReadStream();
    return { body, contentLength: info.size, contentType: contentTypeOf(key) };
  }

  async read(key: string): Promise<Buffer | undefined> {
    const path = this.pathOf(key);
    if (!path) return undefined;
    try {
      return await readFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
      throw unavailable(`reading ${key}`, error);
    }
  }

  publicUrl(key: string): string {
    return publicUrlOf(this.config, key);
  }

  /** Writes and removes a small file in this process's staging folder. */
  async checkWritable(signal?: AbortSignal): Promise<void> {
    const probe = join(this.stagingDir, `probe-${randomUUID()}.tmp`);
    try {
      signal?.throwIfAborted();
      await mkdir(this.stagingDir, { recursive: true });
      await writeFileFast(probe, 'probe', { signal });
      await rm(probe);
    } catch (error) {
      await rm(probe, { force: true }).catch(() => undefined);
      throw unavailable(`writing to ${this.root}`, error);
    }
  }

  private async touchStaging(): Promise<void> {
    const now = new Date();
    await utimes(this.stagingDir, now, now).catch((error: Error) =>
      this.logger.warn(`touching ${this.stagingDir}: ${error.message}`),
    );
  }

  private async ensureFolder(folder: string): Promise<void> {
    if (this.folders.delete(folder)) {
      this.folders.set(folder, true);
      return;
    }
    await mkdir(folder, { recursive: true });
    this.folders.set(folder, true);
    if (this.folders.size > KNOWN_FOLDERS) this.folders.delete(this.folders.keys().next().value!);
  }

  private requirePath(key: string): string {
    const path = this.pathOf(requireStorageKey(key));
    if (!path) throw new Error(`storage key inside the staging folder: ${key}`);
    return path;
  }
}

/** Any file-system failure (ENOSPC, EIO, EROFS, EACCES…) makes the store unavailable; the key was checked before. */
function unavailable(what: string, error: unknown): StorageUnavailableError {
  return new StorageUnavailableError(`${what}: ${(error as Error).message}`, { cause: error });
}
