-- contract_stats_rollup (src/modules/stats/stats.tables.ts) follows contracts inside the
-- transaction that writes them: statement triggers add the rows that entered status `registered`
-- and subtract the rows that left it, whoever writes (registration, change and cancellation, the
-- seed loader, bulk loads). Statement-level with transition tables, so a bulk insert costs one
-- aggregate, not a trigger call per row.

-- The rollup keys of one contract: one (dimension, key) per dimension of contract_stats_rollup.
-- Columns, not a contracts row: the rows of a transition table are records of no named type.
CREATE FUNCTION contract_stats_keys(type text, subtype text, field_code text, technology_domain text, seller_region_code text,
    buyer_region_code text, seller_nature_code text, ip_type text, socio_economic_goal text, industry_code text)
  RETURNS TABLE (dimension text, key text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  VALUES ('total', ''), ('type', type), ('subtype', subtype), ('field', field_code), ('domain', technology_domain),
    ('seller_region', coalesce(seller_region_code, 'foreign')), ('buyer_region', coalesce(buyer_region_code, 'foreign')),
    ('seller_kind', seller_nature_code), ('ip_type', ip_type), ('goal', socio_economic_goal), ('industry', left(industry_code, 1))
$$;
--> statement-breakpoint
CREATE FUNCTION contract_stats_rollup_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  columns constant text := 'registered_on, amount_fen, technology_amount_fen, type, subtype, field_code, technology_domain, '
    'seller_region_code, buyer_region_code, seller_nature_code, ip_type, socio_economic_goal, industry_code';
  -- Only the transition tables this trigger declares exist, hence a source per TG_OP.
  source constant text := CASE TG_OP
    WHEN 'INSERT' THEN format($q$SELECT %1$s, 1 AS sign FROM new_rows WHERE status = 'registered'$q$, columns)
    WHEN 'DELETE' THEN format($q$SELECT %1$s, -1 AS sign FROM old_rows WHERE status = 'registered'$q$, columns)
    ELSE format($q$SELECT %1$s, 1 AS sign FROM new_rows WHERE status = 'registered'
                   UNION ALL SELECT %1$s, -1 FROM old_rows WHERE status = 'registered'$q$, columns)
  END;
  touched boolean;
BEGIN
  EXECUTE format('SELECT EXISTS (%s)', source) INTO touched;
  IF NOT touched THEN
    RETURN NULL;
  END IF;
  -- One writer of the rollup at a time, until commit: a registration writes it in two statements
  -- (the superseded version out, the new one in), so ordering the rows within one statement would
  -- not keep two registrations from locking shared rows in opposite orders. Registrations are
  -- already queued per registration point for their serial; this queues them all, briefly.
  PERFORM pg_advisory_xact_lock(7261002);
  EXECUTE format($sql$
    INSERT INTO contract_stats_rollup AS s (dimension, grain, period, key, contracts, amount_fen, technology_amount_fen)
    SELECT k.dimension, g.grain, g.period, k.key, sum(d.sign), sum(d.sign * d.amount_fen), sum(d.sign * d.technology_amount_fen)
      FROM (%s) AS d
      CROSS JOIN LATERAL contract_stats_keys(d.type, d.subtype, d.field_code, d.technology_domain, d.seller_region_code,
        d.buyer_region_code, d.seller_nature_code, d.ip_type, d.socio_economic_goal, d.industry_code) AS k
      CROSS JOIN LATERAL (VALUES ('day', d.registered_on), ('month', date_trunc('month', d.registered_on)::date)) AS g (grain, period)
     GROUP BY 1, 2, 3, 4
    -- an UPDATE that leaves a registered row's figures as they were changes no rollup row
    HAVING sum(d.sign) <> 0 OR sum(d.sign * d.amount_fen) <> 0 OR sum(d.sign * d.technology_amount_fen) <> 0
    ON CONFLICT (dimension, grain, period, key) DO UPDATE
       SET contracts = s.contracts + excluded.contracts,
           amount_fen = s.amount_fen + excluded.amount_fen,
           technology_amount_fen = s.technology_amount_fen + excluded.technology_amount_fen
  $sql$, source);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION contract_stats_rollup_clear() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM contract_stats_rollup;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER contract_stats_rollup_insert AFTER INSERT ON contracts
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION contract_stats_rollup_sync();
--> statement-breakpoint
CREATE TRIGGER contract_stats_rollup_update AFTER UPDATE ON contracts
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION contract_stats_rollup_sync();
--> statement-breakpoint
CREATE TRIGGER contract_stats_rollup_delete AFTER DELETE ON contracts
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION contract_stats_rollup_sync();
--> statement-breakpoint
CREATE TRIGGER contract_stats_rollup_truncate AFTER TRUNCATE ON contracts
  FOR EACH STATEMENT EXECUTE FUNCTION contract_stats_rollup_clear();
--> statement-breakpoint
-- The whole rollup recomputed from the contracts: the backfill below, and the repair after a bulk
-- load that ran without the triggers (bench/contract-stats.ts). Written in key order so the rows a
-- reader scans together (one dimension and grain, consecutive periods) share heap pages.
CREATE FUNCTION contract_stats_rollup_rebuild() RETURNS bigint
LANGUAGE sql AS $$
  DELETE FROM contract_stats_rollup;
  INSERT INTO contract_stats_rollup (dimension, grain, period, key, contracts, amount_fen, technology_amount_fen)
  SELECT k.dimension, g.grain, g.period, k.key, count(*), sum(c.amount_fen), sum(c.technology_amount_fen)
    FROM contracts c
    CROSS JOIN LATERAL contract_stats_keys(c.type, c.subtype, c.field_code, c.technology_domain, c.seller_region_code,
      c.buyer_region_code, c.seller_nature_code, c.ip_type, c.socio_economic_goal, c.industry_code) AS k
    CROSS JOIN LATERAL (VALUES ('day', c.registered_on), ('month', date_trunc('month', c.registered_on)::date)) AS g (grain, period)
   WHERE c.status = 'registered'
   GROUP BY 1, 2, 3, 4
   ORDER BY 1, 2, 3, 4;
  SELECT count(*) FROM contract_stats_rollup;
$$;
--> statement-breakpoint
-- The contracts registered before this migration.
SELECT contract_stats_rollup_rebuild();
