import type { Db } from '../src/db/client.js';
import type { Services } from '../src/container.js';

/** Loads the demo data set idempotently. (Organizations, achievements and needs are added by the seeds work.) */
export async function loadSeeds(_db: Db, _services: Services): Promise<Record<string, number>> {
  return {};
}
