// Worker threads do not inherit the main thread's tsx registration: register it, then load the
// TypeScript worker.
import { register } from 'tsx/esm/api';

register();
const { startCheckWorker } = await import('./worker.ts');
await startCheckWorker();
