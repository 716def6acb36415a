import fp from 'fastify-plugin';
import type { SandboxService } from '../modules/sandbox/sandbox.service.js';

/**
 * With SANDBOX_CLOCK=true every request first catches up with a clock move that another server
 * process committed (one primary-key read), so all processes answer on the same business time.
 * Without it nothing is added.
 */
export default fp<{ sandbox: Pick<SandboxService, 'enabled' | 'refresh'> }>(
  async (app, { sandbox }) => {
    if (!sandbox.enabled) return;
    app.addHook('onRequest', async (request) => {
      try {
        await sandbox.refresh();
      } catch (err) {
        // The database is unreachable: the request answers on the offset this process last saw
        // (it fails anyway if it needs the database; /healthz does not).
        request.log.warn({ err }, 'sandbox clock: could not reload the offset');
      }
    });
  },
  { name: 'sandbox-clock' },
);
