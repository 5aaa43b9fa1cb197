// Preloaded into the service child by the upload and hostile-upload phases of `bench/run.ts` (node --import).
// It measures the event loop's delay with perf_hooks.monitorEventLoopDelay and answers on the IPC
// channel the bench opens: { loop: 'reset' } starts a new measurement, { loop: 'read' } answers the
// longest stall and the 99th percentile since then, in ms. Not loaded otherwise.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const histogram = monitorEventLoopDelay({ resolution: 5 });
histogram.enable();

if (process.send) {
  process.on('message', (message) => {
    if (!message || typeof message !== 'object' || !('loop' in message)) return;
    if (message.loop === 'reset') histogram.reset();
    process.send({
      loop: 'ack',
      id: message.id,
      maxMs: histogram.max / 1e6,
      p99Ms: histogram.percentile(99) / 1e6,
    });
  });
  // The IPC channel must not keep the service alive on its own.
  process.channel?.unref();
}
