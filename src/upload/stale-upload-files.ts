import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config.js';

/** Where multer writes each upload's body (RemoveUploadedFileInterceptor removes it once handled). */
export const uploadsDir = (config: AppConfig) => join(config.dataDir, 'uploads');

/**
 * How long after UPLOAD_TIMEOUT_MS another live process may still be reading its upload's file (parsing
 * and storing a 50 MiB CSV takes minutes on a slow machine).
 */
const IN_USE_MARGIN_MS = 60 * 60 * 1000;

/**
 * Removes, at start, the upload files a killed process left in DATA_DIR/uploads. On SQLite this process
 * is the only one using DATA_DIR: every file there is left over. On PostgreSQL several API processes may
 * share DATA_DIR, so only files older than UPLOAD_TIMEOUT_MS plus an hour, which no upload is using.
 */
@Injectable()
export class StaleUploadFiles implements OnApplicationBootstrap {
  private readonly logger = new Logger(StaleUploadFiles.name);

  constructor(private readonly config: AppConfig) {}

  async onApplicationBootstrap(): Promise<void> {
    const dir = uploadsDir(this.config);
    const before = this.config.isPostgres
      ? Date.now() - this.config.uploadTimeoutMs - IN_USE_MARGIN_MS
      : Number.POSITIVE_INFINITY;
    const names = await readdir(dir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const path = join(dir, name);
      try {
        const file = await stat(path);
        if (!file.isFile() || file.mtimeMs >= before) continue;
        await rm(path, { force: true });
        removed++;
      } catch (error) {
        this.logger.warn(`could not remove the left-over upload file ${path}: ${(error as Error).message}`);
      }
    }
    if (removed > 0) this.logger.log(`removed ${removed} upload file(s) a stopped process left in ${dir}`);
  }
}
