import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { AppConfig } from '../config/app-config.js';
import { Storage } from './storage.js';

/** Files under STORAGE_DIR, served by FilesController at PUBLIC_URL/files/<key>. */
@Injectable()
export class LocalStorage extends Storage {
  constructor(private readonly config: AppConfig) {
    super();
  }

  /** The file behind a key, or undefined when the key would leave the storage folder. */
  pathOf(key: string): string | undefined {
    const root = resolve(this.config.storageDir);
    const path = resolve(root, key);
    return path.startsWith(root + sep) ? path : undefined;
  }

  async put(key: string, body: Buffer): Promise<void> {
    const path = this.requirePath(key);
    await mkdir(dirname(path), { recursive: true });
    // Write aside, then rename: a reader or a crash never sees half a file.
    const temporary = `${path}.${randomUUID()}.tmp`;
    await writeFile(temporary, body);
    await rename(temporary, path);
  }

  async removePrefix(prefix: string): Promise<void> {
    await rm(this.requirePath(prefix), { recursive: true, force: true });
  }

  publicUrl(key: string): string {
    return `${this.config.publicUrl}/files/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  private requirePath(key: string): string {
    const path = this.pathOf(key);
    if (!path) throw new Error(`storage key outside the storage folder: ${key}`);
    return path;
  }
}

export const storageKeyOf = (requestId: string, imageId: string) => join(requestId, `${imageId}.jpg`);
