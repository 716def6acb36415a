import { loadConfig } from '../config.js';
import { openInfrastructure } from '../boot.js';

// `npm run db:migrate`: opening the infrastructure applies pending migrations and syncs the catalog.
const infra = await openInfrastructure(loadConfig(), (m) => console.log(m));
console.log('migrations applied');
await infra.close();
