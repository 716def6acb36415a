import { loadConfig } from '../config.js';
import { openInfrastructure } from '../boot.js';
import { createServices } from '../container.js';
import { systemClock } from '../lib/clock.js';
import { fail, parseArgs } from './args.js';

// npm run admin:create -- --email E --password P  (idempotent: an existing admin gets the new password)
const { flags } = parseArgs(process.argv.slice(2));
const email = flags.email;
const password = flags.password;
if (typeof email !== 'string' || typeof password !== 'string') fail('usage: npm run admin:create -- --email E --password P');
if (password.length < 12) fail('the password must have at least 12 characters');

const config = loadConfig();
const infra = await openInfrastructure(config, (m) => console.log(m));
try {
  const services = createServices({ config, database: infra.database, clock: systemClock, keys: infra.keys });
  const { user, created } = await services.accounts.bootstrapAdmin({ email, password });
  console.log(`${created ? 'created' : 'updated'} platform admin ${user.email} (${user.id})`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
} finally {
  await infra.close();
}
