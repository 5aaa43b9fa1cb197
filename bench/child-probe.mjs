// Preloaded into the service child by `bench/run.ts --profile` (node --import). It only listens on
// the IPC channel the bench opens: { probe: 'start' } starts a V8 CPU profile, { probe: 'stop', file }
// writes it to `file`. Each command is answered with { probe: 'ack', id }. Not loaded otherwise, so a
// normal bench run measures exactly `node dist/main.cjs`.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const post = (session, method, params = {}) =>
  new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );

let session;

if (process.send) {
  process.on('message', async (message) => {
    if (!message || typeof message !== 'object' || !('probe' in message)) return;
    try {
      if (message.probe === 'start' && !session) {
        session = new Session();
        session.connect();
        await post(session, 'Profiler.enable');
        await post(session, 'Profiler.setSamplingInterval', { interval: 1000 });
        await post(session, 'Profiler.start');
      } else if (message.probe === 'stop' && session) {
        const { profile } = await post(session, 'Profiler.stop');
        session.disconnect();
        session = undefined;
        writeFileSync(message.file, JSON.stringify(profile));
      }
      process.send({ probe: 'ack', id: message.id });
    } catch (error) {
      process.send({ probe: 'ack', id: message.id, error: String(error) });
    }
  });
  // The IPC channel must not keep the service alive on its own.
  process.channel?.unref();
}
