// Worker threads do not inherit the main thread's tsx registration: register it, then load the
// TypeScript worker (as src/check/worker-entry.js does).
import { register } from 'tsx/esm/api';

register();
const { startGenWorker } = await import('./worker.ts');
startGenWorker();
