import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { FixtureServer } from '../../test/helpers/fixture-server.js';
import { PHOTO_FIXTURE, SMALL_FIXTURE } from './options.js';

export interface Fixture {
  name: string;
  file: string;
  bytes: Buffer;
  width: number;
  height: number;
}

export async function loadFixtures(): Promise<{ photo: Fixture; small: Fixture }> {
  const photoBytes = await readFile(PHOTO_FIXTURE);
  let smallBytes: Buffer;
  let smallFile = SMALL_FIXTURE;
  if (existsSync(SMALL_FIXTURE)) {
    smallBytes = await readFile(SMALL_FIXTURE);
  } else {
    smallBytes = await sharp(photoBytes).resize(600, 450).jpeg({ quality: 85 }).toBuffer();
    smallFile = '(made from the photo: 600x450)';
  }
  const describe = async (name: string, file: string, bytes: Buffer): Promise<Fixture> => {
    const { width, height } = await sharp(bytes).metadata();
    return { name, file, bytes, width, height };
  };
  return {
    photo: await describe('photo', PHOTO_FIXTURE, photoBytes),
    small: await describe('small', smallFile, smallBytes),
  };
}

/**
 * Serves the fixtures from memory at /photo.jpg and /small.jpg; each query string makes a URL of its
 * own with bytes of its own (a catalog's images differ: none is reused by content).
 */
export async function startImageServer(fixtures: Fixture[]): Promise<FixtureServer> {
  const server = new FixtureServer();
  for (const fixture of fixtures)
    server.serve(`/${fixture.name}.jpg`, fixture.bytes, 'image/jpeg', { distinct: true });
  return server.start();
}
