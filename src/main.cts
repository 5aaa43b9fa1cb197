/**
 * The entry point, `node dist/main.cjs`: sizes libuv's thread pool before anything can start it (see
 * config/thread-pool.cts), then loads the application. CommonJS on purpose: Node 20 reads an ES module
 * entry through the pool, which starts it at libuv's default of 4 threads before the entry's first line.
 */
import { sizeThreadPool } from './config/thread-pool.cjs';

sizeThreadPool();
void import('./server.js');
