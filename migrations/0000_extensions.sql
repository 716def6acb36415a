-- drizzle-kit does not emit extensions. pg_trgm backs partial/short text matches (GIN trigram
-- indexes on titles); it needs a UTF-8 LC_CTYPE to index Chinese.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
