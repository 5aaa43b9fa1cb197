// Serves the images of examples/images to try Pixelmill with, and prints the webhooks it receives.
//   node examples/serve.mjs               http://127.0.0.1:8000 (IMAGES_PORT=… for another port; 0: any free one)
// GET /<file> answers the image; POST (any path) prints the body and answers 204. Loopback only:
// nothing else on the network can reach it. Ctrl-C stops it.
import { createReadStream, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename, extname, join } from 'node:path';

const folder = join(import.meta.dirname, 'images');
const types = { '.jpg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp' };

const server = createServer((request, response) => {
  if (request.method === 'POST') {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      console.log(`webhook ${request.url}: ${Buffer.concat(chunks).toString('utf8')}`);
      response.writeHead(204).end();
    });
    return;
  }
  const file = join(folder, basename(new URL(request.url ?? '/', 'http://images').pathname));
  if (!existsSync(file) || !(extname(file) in types)) {
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  response.writeHead(200, { 'Content-Type': types[extname(file)] });
  createReadStream(file).pipe(response);
});

server.listen(Number(process.env.IMAGES_PORT ?? 8000), '127.0.0.1', () => {
  console.log(`serving ${folder} at http://127.0.0.1:${server.address().port}`);
});
