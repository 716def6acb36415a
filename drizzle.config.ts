import { defineConfig } from 'drizzle-kit';

// MIGRATIONS_OUT lets the drift check generate into a scratch copy (scripts/check-migrations.sh).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/modules/*/*.tables.ts',
  out: process.env.MIGRATIONS_OUT ?? './migrations',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://localhost/techbridge' },
  strict: true,
});
