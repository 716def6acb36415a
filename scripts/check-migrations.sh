#!/usr/bin/env bash
# Fails when the drizzle table definitions have changes that no committed migration contains:
# generate into a scratch copy of migrations/ and require drizzle-kit to find nothing to do.
set -euo pipefail
cd "$(dirname "$0")/.."
# drizzle-kit resolves `out` relative to the project, so the scratch copy lives inside it (ignored).
scratch=$(mktemp -d ./.migration-check.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
cp -r migrations/. "$scratch/"
out=$(MIGRATIONS_OUT="$scratch" npx drizzle-kit generate --name=drift 2>&1 || true)
if ! grep -q "No schema changes" <<<"$out"; then
  echo "migrations are out of date with src/modules/*/*.tables.ts: run 'npm run db:generate -- --name=<change>' and commit" >&2
  echo "$out" | tail -20 >&2
  cat "$scratch"/*_drift.sql 2>/dev/null >&2 || true
  exit 1
fi
check=$(npx drizzle-kit check 2>&1 || true)
if ! grep -qi "Everything's fine" <<<"$check"; then
  echo "$check" >&2
  exit 1
fi
echo "migrations are up to date"
