import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, readdir, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config.js';

/** How often a process touches its folder (and looks for those dead processes left). */
const TOUCH_INTERVAL_MS = 60_000;
/** A folder untouched this long belongs to no live process, whatever its name says. */
const STALE_FOLDER_MS = 15 * TOUCH_INTERVAL_MS;
/**
 * A loose file (the layout before per-process folders) is left over once older than UPLOAD_TIMEOUT_MS plus
 * this: parsing and storing a 50 MiB CSV takes minutes on a slow machine.
 */
const LOOSE_FILE_MARGIN_MS = 60 * 60 * 1000;
/** `<pid>-<random>-<host digest>`: the process that writes in the folder, and the machine it runs on. */
const FOLDER_NAME = /^(\d+)-[0-9a-f]{12}-([0-9a-f]{8})$/;

/**
 * Where this process's uploads are received: DATA_DIR/uploads/<pid>-<random>-<host>, its own, touched every
 * minute, removed at shutdown (RemoveUploadedFileInterceptor removes each file once its request is answered).
 * At start, and every minute after, it removes what killed processes left in DATA_DIR/uploads, whatever
 * its age: on SQLite (one process per DATA_DIR) everything but its own folder; on PostgreSQL, where API
 * processes may share DATA_DIR, the folders of processes of this host that are no longer alive (or whose
 * pid is now its own: a restarted container), and any folder untouched for 15 minutes (another host's dead
 * process).
 */
@Injectable()
export class UploadFolder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(UploadFolder.name);
  private readonly root: string;
  private readonly host = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
  private readonly name = `${process.pid}-${randomBytes(6).toString('hex')}-${this.host}`;
  /** This process's folder: multer writes every upload it receives here. */
  readonly path: string;
  private timer?: NodeJS.Timeout;

  constructor(private readonly config: AppConfig) {
    this.root = join(config.server.dataDir, 'uploads');
    this.path = join(this.root, this.name);
  }

  async onApplicationBootstrap(): Promise<void> {
    await mkdir(this.path, { recursive: true });
    await this.removeLeftOvers();
    this.timer = setInterval(() => void this.tick(), TOUCH_INTERVAL_MS);
    this.timer.unref();
  }

  /** Runs once the HTTP server has closed: no upload is being received any more. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await rm(this.path, { recursive: true, force: true }).catch((error: Error) =>
      this.logger.warn(`removing ${this.path}: ${error.message}`),
    );
  }

  private async tick(): Promise<void> {
    const now = new Date();
    // Made again if an operator removed it.
    await mkdir(this.path, { recursive: true })
      .then(() => utimes(this.path, now, now))
      .catch((error: Error) => this.logger.warn(`touching ${this.path}: ${error.message}`));
    await this.removeLeftOvers();
  }

  private async removeLeftOvers(): Promise<void> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => [] as Dirent[]);
    let removed = 0;
    for (const entry of entries) {
      if (entry.name === this.name) continue;
      const path = join(this.root, entry.name);
      try {
        if (!(await this.isLeftOver(entry, path))) continue;
        await rm(path, { recursive: true, force: true });
        removed++;
      } catch (error) {
        this.logger.warn(`could not remove the left-over upload ${path}: ${(error as Error).message}`);
      }
    }
    if (removed > 0)
      this.logger.log(
        `removed ${removed} upload folder(s) or file(s) stopped processes left in ${this.root}`,
      );
  }

  private async isLeftOver(entry: Dirent, path: string): Promise<boolean> {
    if (!this.config.database.isPostgres) return true;
    const age = Date.now() - (await stat(path)).mtimeMs;
    const owner = entry.isDirectory() ? FOLDER_NAME.exec(entry.name) : null;
    if (!owner) return age > this.config.limits.uploadTimeoutMs + LOOSE_FILE_MARGIN_MS;
    const pid = Number(owner[1]);
    if (owner[2] === this.host && (pid === process.pid || !isAlive(pid))) return true;
    return age > STALE_FOLDER_MS;
  }
}

/** Whether a process with this pid runs on this machine (EPERM: it does, as another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
