import type { Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';

/** Starts `server` on 127.0.0.1 (the port the system picks); resolves with that port and its base URL. */
export async function listenOnLoopback(server: Server): Promise<{ port: number; base: string }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { port, base: `http://127.0.0.1:${port}` };
}

/** Closes `server`, its open connections first. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** A port nobody listens on (for "connection refused"; never to listen on: let the system pick that). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}
