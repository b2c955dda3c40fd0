// Worker threads do not inherit the main thread's tsx registration: register it, then load the
// TypeScript exploration lane.
import { register } from 'tsx/esm/api';

register();
const { startExploreWorker } = await import('./worker.ts');
await startExploreWorker();
