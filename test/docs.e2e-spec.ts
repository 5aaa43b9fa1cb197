import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { IMAGE_FAILURE_CODES } from '../src/common/image-failure-codes.js';
import { parseCsv } from './helpers/csv.js';
import { headingAnchors, relativeLinks, testedBlocks } from './helpers/markdown.js';
import { requireBuild, ServerProcess } from './helpers/server-process.js';
import { eventually, freePort } from './helpers/test-app.js';

const ROOT = resolve(import.meta.dirname, '..');
const EXAMPLES = join(ROOT, 'examples');
/** Where the committed example CSV says its images are: what `node examples/serve.mjs` serves by default. */
const EXAMPLE_IMAGES = 'http://127.0.0.1:8000';
const run = promisify(execFile);

/**
 * The README's quick start and docs/api.md's walkthrough, run as a newcomer would: the blocks marked
 * ```bash tested, in order, in one bash each (`set -euo pipefail`: any failing command fails the test),
 * in a folder holding a copy of examples/, against the built service (`node dist/main.cjs`, with
 * ALLOW_PRIVATE_URLS=true as the quick start says) and the example image server `examples/serve.mjs`,
 * which also receives the webhooks. The commands are not rewritten: they read PIXELMILL and IMAGES,
 * whose defaults are the documented addresses, and the copy of products.csv names the image server's
 * actual port instead of 8000 (checked to be the only difference). Loopback only.
 */
describe('the docs run as written', { timeout: 180_000 }, () => {
  let workDir: string;
  let imageServer: ChildProcess;
  let imageServerOutput = '';
  let imagesBase: string;
  let service: ServerProcess;

  beforeAll(async () => {
    requireBuild();
    workDir = await mkdtemp(join(tmpdir(), 'pixelmill-docs-'));
    await cp(EXAMPLES, join(workDir, 'examples'), { recursive: true });
    imageServer = spawn(process.execPath, [join(workDir, 'examples/serve.mjs')], {
      env: { PATH: process.env.PATH ?? '', IMAGES_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    imageServer.stdout!.on('data', (chunk: Buffer) => (imageServerOutput += chunk.toString('utf8')));
    imageServer.stderr!.on('data', (chunk: Buffer) => (imageServerOutput += chunk.toString('utf8')));
    imagesBase = await eventually(() => /at (http:\/\/127\.0\.0\.1:\d+)/.exec(imageServerOutput)?.[1]);
    const committedCsv = await readFile(join(EXAMPLES, 'products.csv'), 'utf8');
    await writeFile(
      join(workDir, 'examples/products.csv'),
      committedCsv.replaceAll(EXAMPLE_IMAGES, imagesBase),
    );
    service = new ServerProcess(
      { DATA_DIR: join(workDir, 'data'), ALLOW_PRIVATE_URLS: 'true', LOG_LEVEL: 'warn' },
      await freePort(),
    );
    await service.start();
  });

  afterAll(async () => {
    await service?.kill('SIGTERM');
    imageServer?.kill();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** The document's tested blocks as one bash script, run in the work folder; its output. */
  async function runBlocks(document: string): Promise<string> {
    const blocks = testedBlocks(await readFile(join(ROOT, document), 'utf8'));
    expect(blocks.length, `${document} has blocks marked bash tested`).toBeGreaterThan(0);
    const script = join(workDir, `${document.replaceAll('/', '-')}.sh`);
    await writeFile(script, ['set -euo pipefail', ...blocks].join('\n'));
    try {
      const { stdout } = await run('bash', [script], {
        cwd: workDir,
        env: { PATH: process.env.PATH ?? '', HOME: workDir, PIXELMILL: service.baseUrl, IMAGES: imagesBase },
        timeout: 120_000,
      });
      return stdout;
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(
        `${document}'s tested blocks failed: ${(error as Error).message}\n--- stdout\n${stdout}\n--- stderr\n${stderr}\n--- service\n${service.output}`,
      );
    }
  }

  it('the example CSV names the example images, at the address serve.mjs serves by default', async () => {
    const [header, ...rows] = await parseCsv(await readFile(join(EXAMPLES, 'products.csv'), 'utf8'));
    expect(header).toEqual(['S. No.', 'Product Name', 'Input Image Urls']);
    const files = new Set(await readdir(join(EXAMPLES, 'images')));
    expect(rows.length).toBeGreaterThan(0);
    const urls = rows.flatMap((row) => row[2].split(','));
    for (const url of urls) {
      expect(url).toMatch(new RegExp(`^${EXAMPLE_IMAGES}/[\\w.-]+$`));
      expect(files.has(url.slice(EXAMPLE_IMAGES.length + 1)), url).toBe(true);
    }
    const serve = await readFile(join(EXAMPLES, 'serve.mjs'), 'utf8');
    expect(serve).toContain(`process.env.IMAGES_PORT ?? ${new URL(EXAMPLE_IMAGES).port}`);
  });

  it("the README's quick start uploads examples/products.csv and exports it with every output", async () => {
    const output = await runBlocks('README.md');
    const exported = await parseCsv(await readFile(join(workDir, 'products-out.csv'), 'utf8'));
    expect(output).toContain('Output Image Urls');
    expect(exported[0]).toEqual([
      'S. No.',
      'Product Name',
      'Input Image Urls',
      'Output Image Urls',
      'Errors',
    ]);
    const outputs = exported.slice(1).flatMap((row) => row[3].split(','));
    expect(outputs).toHaveLength(4);
    // PUBLIC_URL's default, as the quick start runs it: the outputs are served there.
    for (const url of outputs)
      expect(url).toMatch(new RegExp(`^http://localhost:${service.port}/files/[0-9a-f]{2}/`));
    const served = await fetch(outputs[0].replace('localhost', '127.0.0.1'));
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/jpeg');
  });

  it("docs/api.md's walkthrough uploads, follows, explains, exports, streams, retries and deletes", async () => {
    const output = await runBlocks('docs/api.md');
    const requestId = /"request_id":"([0-9a-f-]{36})"/.exec(output)![1];
    expect(output).toContain('"status":"completed_with_errors"');
    expect(output).toContain('"error_code":"http_404"');
    expect(output).toContain('"label":"Not found"');
    expect(output).toContain('event: completed');
    expect(output).toContain('"requeued_images":1');
    expect(output.trimEnd().endsWith('204')).toBe(true);
    const exported = await parseCsv(await readFile(join(workDir, 'walkthrough-out.csv'), 'utf8'));
    expect(exported[2][4]).toContain(`${imagesBase}/missing.jpg: http_404`);
    await service.http.get(`/status/${requestId}`).expect(404);
    // The first completion's webhook reached the example server, which printed it (the second, after
    // the retry, may be removed with the request before it is sent).
    await eventually(() => imageServerOutput.includes(`"request_id":"${requestId}"`));
    expect(imageServerOutput).toMatch(/^webhook \/webhook: \{"type":"request\.completed"/m);
  });

  it('docs/api.md lists every image failure code the service can store', async () => {
    const api = await readFile(join(ROOT, 'docs/api.md'), 'utf8');
    for (const code of Object.keys(IMAGE_FAILURE_CODES)) expect(api, code).toContain(`| \`${code}\``);
  });

  it('every relative link of the README and docs/ leads to a file, and every anchor to a heading', async () => {
    const documents = [
      'README.md',
      ...(await readdir(join(ROOT, 'docs')))
        .filter((name) => name.endsWith('.md'))
        .map((name) => `docs/${name}`),
    ];
    const broken: string[] = [];
    for (const document of documents) {
      for (const link of relativeLinks(await readFile(join(ROOT, document), 'utf8'))) {
        const [path, anchor] = link.split('#');
        const target = path ? resolve(ROOT, dirname(document), path) : join(ROOT, document);
        if (!existsSync(target)) broken.push(`${document}: ${link} (no file)`);
        else if (anchor && !headingAnchors(await readFile(target, 'utf8')).has(anchor)) {
          broken.push(`${document}: ${link} (no heading ${anchor} in ${relative(ROOT, target)})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
