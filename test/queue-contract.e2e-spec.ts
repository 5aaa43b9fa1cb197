import { describeQueueContract } from './helpers/queue-contract.js';

describeQueueContract('the embedded SQLite file (in-process wake signal)', async () => undefined);
