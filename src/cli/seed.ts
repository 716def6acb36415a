import { loadConfig } from '../config.js';
import { openInfrastructure } from '../boot.js';
import { createServices } from '../container.js';
import { systemClock } from '../lib/clock.js';
import { loadSeeds } from '../../seeds/load.js';

// `npm run db:seed`: loads the demo data set; safe to run again (idempotent).
const config = loadConfig();
const infra = await openInfrastructure(config, (m) => console.log(m));
try {
  const services = createServices({ config, database: infra.database, clock: systemClock, keys: infra.keys });
  console.log('seeded', await loadSeeds(infra.database.db, services));
} finally {
  await infra.close();
}
