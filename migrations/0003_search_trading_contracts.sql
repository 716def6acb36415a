CREATE TABLE "auctions" (
	"listing_id" uuid PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"start_price_fen" bigint NOT NULL,
	"increment_fen" bigint NOT NULL,
	"reserve_price_fen" bigint,
	"extension_window_seconds" integer NOT NULL,
	"extension_seconds" integer NOT NULL,
	"current_price_fen" bigint,
	"bid_count" integer DEFAULT 0 NOT NULL,
	"extensions" integer DEFAULT 0 NOT NULL,
	"leading_bid_id" uuid,
	"leading_registration_id" uuid,
	"leading_paddle" integer,
	"closed_at" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "auctions_status_check" CHECK ("auctions"."status" in ('open','closed')),
	CONSTRAINT "auctions_bids_check" CHECK (("auctions"."bid_count" = 0) = ("auctions"."current_price_fen" is null) and ("auctions"."bid_count" = 0) = ("auctions"."leading_bid_id" is null)),
	CONSTRAINT "auctions_terms_check" CHECK ("auctions"."start_price_fen" > 0 and "auctions"."increment_fen" > 0 and "auctions"."ends_at" > "auctions"."starts_at"),
	CONSTRAINT "auctions_closed_check" CHECK (("auctions"."status" = 'closed') = ("auctions"."closed_at" is not null))
);
--> statement-breakpoint
CREATE TABLE "bids" (
	"id" uuid PRIMARY KEY NOT NULL,
	"listing_id" uuid NOT NULL,
	"registration_id" uuid NOT NULL,
	"organization_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"paddle" integer NOT NULL,
	"amount_fen" bigint NOT NULL,
	"seq" integer NOT NULL,
	"placed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "bids_amount_check" CHECK ("bids"."amount_fen" > 0 and "bids"."seq" > 0)
);
--> statement-breakpoint
CREATE TABLE "audit_entries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"listing_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"action" text NOT NULL,
	"actor_user_id" uuid,
	"actor_organization_id" uuid,
	"data" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"prev_hash" text,
	"hash" text NOT NULL,
	CONSTRAINT "audit_entries_seq_check" CHECK ("audit_entries"."seq" >= 1 and ("audit_entries"."seq" = 1) = ("audit_entries"."prev_hash" is null)),
	CONSTRAINT "audit_entries_actor_check" CHECK (("audit_entries"."actor_user_id" is null) = ("audit_entries"."actor_organization_id" is null)),
	CONSTRAINT "audit_entries_action_check" CHECK ("audit_entries"."action" ~ '^[a-z][a-z0-9_.]{0,63}$'),
	CONSTRAINT "audit_entries_hash_check" CHECK ("audit_entries"."hash" ~ '^[0-9a-f]{64}$' and ("audit_entries"."prev_hash" is null or "audit_entries"."prev_hash" ~ '^[0-9a-f]{64}$'))
);
--> statement-breakpoint
CREATE TABLE "contract_number_counters" (
	"year" smallint NOT NULL,
	"region_prefix" text NOT NULL,
	"point" text NOT NULL,
	"last_serial" integer NOT NULL,
	CONSTRAINT "contract_number_counters_pkey" PRIMARY KEY("year","region_prefix","point"),
	CONSTRAINT "contract_number_counters_check" CHECK ("contract_number_counters"."last_serial" between 1 and 999999 and "contract_number_counters"."region_prefix" ~ '^[0-9]{4}$' and "contract_number_counters"."point" ~ '^[0-9]{2}$')
);
--> statement-breakpoint
CREATE TABLE "contracts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"lineage_id" uuid NOT NULL,
	"revision" smallint NOT NULL,
	"filing_kind" text NOT NULL,
	"supersedes_id" uuid,
	"status" text NOT NULL,
	"registration_number" text,
	"registered_on" date,
	"title" text NOT NULL,
	"type" text NOT NULL,
	"subtype" text NOT NULL,
	"seller_organization_id" uuid NOT NULL,
	"seller_name" text NOT NULL,
	"seller_country_code" text NOT NULL,
	"seller_region_code" text,
	"seller_nature_code" text NOT NULL,
	"buyer_organization_id" uuid NOT NULL,
	"buyer_name" text NOT NULL,
	"buyer_country_code" text NOT NULL,
	"buyer_region_code" text,
	"buyer_nature_code" text NOT NULL,
	"amount_fen" bigint NOT NULL,
	"technology_amount_fen" bigint NOT NULL,
	"signed_on" date NOT NULL,
	"valid_from" date NOT NULL,
	"valid_to" date NOT NULL,
	"field_code" text NOT NULL,
	"technology_domain" text NOT NULL,
	"ip_type" text NOT NULL,
	"socio_economic_goal" text NOT NULL,
	"industry_code" text NOT NULL,
	"plan_source" text NOT NULL,
	"expected_new_investment_fen" bigint,
	"expected_new_output_fen" bigint,
	"document_reference" text NOT NULL,
	"document_sha256" text,
	"document_pages" integer,
	"deal_id" uuid,
	"listing_id" uuid,
	"reason" text,
	"filed_by" uuid NOT NULL,
	"filed_at" timestamp with time zone NOT NULL,
	"review_working_days" smallint NOT NULL,
	"review_clock_started_at" timestamp with time zone NOT NULL,
	"review_due_on" date,
	"material_request" text,
	"material_requested_at" timestamp with time zone,
	"material_response" text,
	"material_supplied_at" timestamp with time zone,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"refusal_ground" text,
	"decision_note" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "contracts_status_check" CHECK ("contracts"."status" in ('submitted','material_requested','registered','rejected','superseded','cancelled')),
	CONSTRAINT "contracts_filing_kind_check" CHECK ("contracts"."filing_kind" in ('original','change','cancellation')),
	CONSTRAINT "contracts_revision_check" CHECK (("contracts"."filing_kind" = 'original') = ("contracts"."revision" = 1) and ("contracts"."filing_kind" = 'original') = ("contracts"."supersedes_id" is null) and "contracts"."revision" >= 1),
	CONSTRAINT "contracts_amounts_check" CHECK ("contracts"."amount_fen" > 0 and "contracts"."technology_amount_fen" >= 0 and "contracts"."technology_amount_fen" <= "contracts"."amount_fen"),
	CONSTRAINT "contracts_dates_check" CHECK ("contracts"."valid_from" <= "contracts"."valid_to" and "contracts"."signed_on" <= "contracts"."valid_to"),
	CONSTRAINT "contracts_parties_check" CHECK ("contracts"."seller_organization_id" <> "contracts"."buyer_organization_id"),
	CONSTRAINT "contracts_number_check" CHECK ("contracts"."registration_number" is null or "contracts"."registration_number" ~ '^[0-9]{16}$'),
	CONSTRAINT "contracts_registered_check" CHECK ("contracts"."status" not in ('registered','superseded','cancelled') or ("contracts"."registration_number" is not null and "contracts"."registered_on" is not null)),
	CONSTRAINT "contracts_rejected_check" CHECK ("contracts"."status" <> 'rejected' or "contracts"."refusal_ground" is not null),
	CONSTRAINT "contracts_due_check" CHECK ("contracts"."status" <> 'submitted' or "contracts"."review_due_on" is not null),
	CONSTRAINT "contracts_document_check" CHECK (char_length("contracts"."document_reference") between 1 and 500)
);
--> statement-breakpoint
CREATE TABLE "deal_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"deal_id" uuid NOT NULL,
	"from_stage" text,
	"stage" text NOT NULL,
	"note" text,
	"actor_user_id" uuid,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "deal_events_note_check" CHECK ("deal_events"."note" is null or char_length("deal_events"."note") between 1 and 2000)
);
--> statement-breakpoint
CREATE TABLE "deals" (
	"id" uuid PRIMARY KEY NOT NULL,
	"origin" text NOT NULL,
	"broker_organization_id" uuid,
	"created_by" uuid,
	"seller_organization_id" uuid NOT NULL,
	"buyer_organization_id" uuid NOT NULL,
	"achievement_id" uuid,
	"need_id" uuid,
	"listing_id" uuid,
	"stage" text DEFAULT 'matched' NOT NULL,
	"amount_fen" bigint,
	"commission_rate_bp" integer,
	"commission_cap_fen" bigint,
	"commission_fen" bigint,
	"stage_changed_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "deals_stage_check" CHECK ("deals"."stage" in ('matched','negotiating','signed','registered','industrialized','cancelled')),
	CONSTRAINT "deals_origin_check" CHECK ("deals"."origin" in ('broker','admin','listing_sale')),
	CONSTRAINT "deals_parties_check" CHECK ("deals"."seller_organization_id" <> "deals"."buyer_organization_id"),
	CONSTRAINT "deals_money_check" CHECK (coalesce("deals"."amount_fen", 0) >= 0 and coalesce("deals"."commission_cap_fen", 0) >= 0 and coalesce("deals"."commission_fen", 0) >= 0 and ("deals"."commission_rate_bp" is null or "deals"."commission_rate_bp" between 0 and 3000)),
	CONSTRAINT "deals_signed_amount_check" CHECK ("deals"."stage" not in ('signed','registered','industrialized') or "deals"."amount_fen" is not null)
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"user_id" uuid NOT NULL,
	"key" text NOT NULL,
	"scope" text NOT NULL,
	"request_hash" text NOT NULL,
	"response_status" integer NOT NULL,
	"response_body" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY("user_id","key"),
	CONSTRAINT "idempotency_keys_key_check" CHECK (char_length("idempotency_keys"."key") between 1 and 255)
);
--> statement-breakpoint
CREATE TABLE "listing_registrations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"listing_id" uuid NOT NULL,
	"organization_id" uuid NOT NULL,
	"created_by" uuid NOT NULL,
	"paddle" integer NOT NULL,
	"message" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"qualification_reason" text,
	"qualified_by" uuid,
	"qualified_at" timestamp with time zone,
	"deposit_fen" bigint NOT NULL,
	"deposit_status" text DEFAULT 'unpaid' NOT NULL,
	"deposit_paid_at" timestamp with time zone,
	"deposit_refunded_at" timestamp with time zone,
	"deposit_forfeited_at" timestamp with time zone,
	"deposit_note" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "listing_registrations_status_check" CHECK ("listing_registrations"."status" in ('pending','qualified','rejected')),
	CONSTRAINT "listing_registrations_deposit_check" CHECK ("listing_registrations"."deposit_status" in ('unpaid','paid','refunded','forfeited') and "listing_registrations"."deposit_fen" >= 0)
);
--> statement-breakpoint
CREATE TABLE "listings" (
	"id" uuid PRIMARY KEY NOT NULL,
	"achievement_id" uuid NOT NULL,
	"seller_organization_id" uuid NOT NULL,
	"created_by" uuid NOT NULL,
	"mode" text NOT NULL,
	"status" text DEFAULT 'pending_review' NOT NULL,
	"asking_price_fen" bigint NOT NULL,
	"start_price_fen" bigint NOT NULL,
	"increment_fen" bigint NOT NULL,
	"reserve_price_fen" bigint,
	"deposit_fen" bigint NOT NULL,
	"notice_working_days" integer NOT NULL,
	"max_notice_extensions" integer NOT NULL,
	"notice_extensions" integer DEFAULT 0 NOT NULL,
	"auction_duration_minutes" integer NOT NULL,
	"extension_window_seconds" integer NOT NULL,
	"extension_seconds" integer NOT NULL,
	"review_reason" text,
	"reviewed_by" uuid,
	"reviewed_at" timestamp with time zone,
	"published_at" timestamp with time zone,
	"notice_ends_at" timestamp with time zone,
	"agreement_registration_id" uuid,
	"agreement_paddle" integer,
	"agreement_due_at" timestamp with time zone,
	"seller_confirmed_at" timestamp with time zone,
	"buyer_confirmed_at" timestamp with time zone,
	"outcome_price_fen" bigint,
	"winner_registration_id" uuid,
	"winner_paddle" integer,
	"closed_at" timestamp with time zone,
	"withdrawn_reason" text,
	"due_at" timestamp with time zone,
	"paddle_seq" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "listings_status_check" CHECK ("listings"."status" in ('pending_review','rejected','notice','auction','awaiting_agreement','sold','unsold','withdrawn')),
	CONSTRAINT "listings_mode_check" CHECK ("listings"."mode" in ('auction','fixed')),
	CONSTRAINT "listings_prices_check" CHECK ("listings"."asking_price_fen" > 0 and "listings"."start_price_fen" > 0 and "listings"."increment_fen" > 0 and "listings"."deposit_fen" >= 0 and ("listings"."reserve_price_fen" is null or "listings"."reserve_price_fen" >= "listings"."start_price_fen")),
	CONSTRAINT "listings_notice_check" CHECK ("listings"."notice_working_days" between 5 and 60 and "listings"."notice_extensions" between 0 and "listings"."max_notice_extensions"),
	CONSTRAINT "listings_due_check" CHECK (("listings"."status" in ('notice','awaiting_agreement')) = ("listings"."due_at" is not null)),
	CONSTRAINT "listings_sold_check" CHECK ("listings"."status" <> 'sold' or ("listings"."outcome_price_fen" is not null and "listings"."winner_registration_id" is not null and "listings"."winner_paddle" is not null))
);
--> statement-breakpoint
CREATE TABLE "listing_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"listing_id" uuid NOT NULL,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "listing_events_type_check" CHECK ("listing_events"."type" ~ '^[a-z][a-z_]{0,31}$')
);
--> statement-breakpoint
CREATE TABLE "search_documents" (
	"kind" text NOT NULL,
	"id" uuid NOT NULL,
	"document" jsonb NOT NULL,
	"title" text NOT NULL,
	"search_text" text NOT NULL,
	"tsv" "tsvector" NOT NULL,
	"field_path_codes" text[] NOT NULL,
	"region_code" text NOT NULL,
	"organization_id" uuid NOT NULL,
	"trl" smallint,
	"stage" text,
	"modes" text[] NOT NULL,
	"price_kind" text,
	"price_fen" bigint,
	"need_type" text,
	"budget_max_fen" bigint,
	"budget_negotiable" boolean,
	"published_at" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	CONSTRAINT "search_documents_kind_id_pk" PRIMARY KEY("kind","id")
);
--> statement-breakpoint
CREATE TABLE "search_outbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "search_outbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"entity" text NOT NULL,
	"entity_id" uuid NOT NULL,
	"reason" text DEFAULT 'change' NOT NULL,
	"enqueued_at" timestamp with time zone NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"dead_at" timestamp with time zone,
	CONSTRAINT "search_outbox_reason_check" CHECK ("search_outbox"."reason" in ('change','expiry'))
);
--> statement-breakpoint
DROP INDEX "achievements_public_idx";--> statement-breakpoint
DROP INDEX "needs_public_idx";--> statement-breakpoint
ALTER TABLE "auctions" ADD CONSTRAINT "auctions_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bids" ADD CONSTRAINT "bids_listing_id_auctions_listing_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."auctions"("listing_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bids" ADD CONSTRAINT "bids_registration_id_listing_registrations_id_fk" FOREIGN KEY ("registration_id") REFERENCES "public"."listing_registrations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bids" ADD CONSTRAINT "bids_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bids" ADD CONSTRAINT "bids_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contracts" ADD CONSTRAINT "contracts_supersedes_id_contracts_id_fk" FOREIGN KEY ("supersedes_id") REFERENCES "public"."contracts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contracts" ADD CONSTRAINT "contracts_seller_organization_id_organizations_id_fk" FOREIGN KEY ("seller_organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contracts" ADD CONSTRAINT "contracts_buyer_organization_id_organizations_id_fk" FOREIGN KEY ("buyer_organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contracts" ADD CONSTRAINT "contracts_deal_id_deals_id_fk" FOREIGN KEY ("deal_id") REFERENCES "public"."deals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contracts" ADD CONSTRAINT "contracts_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contracts" ADD CONSTRAINT "contracts_filed_by_users_id_fk" FOREIGN KEY ("filed_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contracts" ADD CONSTRAINT "contracts_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deal_events" ADD CONSTRAINT "deal_events_deal_id_deals_id_fk" FOREIGN KEY ("deal_id") REFERENCES "public"."deals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deal_events" ADD CONSTRAINT "deal_events_actor_user_id_users_id_fk" FOREIGN KEY ("actor_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deals" ADD CONSTRAINT "deals_broker_organization_id_organizations_id_fk" FOREIGN KEY ("broker_organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deals" ADD CONSTRAINT "deals_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deals" ADD CONSTRAINT "deals_seller_organization_id_organizations_id_fk" FOREIGN KEY ("seller_organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deals" ADD CONSTRAINT "deals_buyer_organization_id_organizations_id_fk" FOREIGN KEY ("buyer_organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deals" ADD CONSTRAINT "deals_achievement_id_achievements_id_fk" FOREIGN KEY ("achievement_id") REFERENCES "public"."achievements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deals" ADD CONSTRAINT "deals_need_id_needs_id_fk" FOREIGN KEY ("need_id") REFERENCES "public"."needs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deals" ADD CONSTRAINT "deals_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listing_registrations" ADD CONSTRAINT "listing_registrations_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listing_registrations" ADD CONSTRAINT "listing_registrations_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listing_registrations" ADD CONSTRAINT "listing_registrations_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listing_registrations" ADD CONSTRAINT "listing_registrations_qualified_by_users_id_fk" FOREIGN KEY ("qualified_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listings" ADD CONSTRAINT "listings_achievement_id_achievements_id_fk" FOREIGN KEY ("achievement_id") REFERENCES "public"."achievements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listings" ADD CONSTRAINT "listings_seller_organization_id_organizations_id_fk" FOREIGN KEY ("seller_organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listings" ADD CONSTRAINT "listings_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listings" ADD CONSTRAINT "listings_reviewed_by_users_id_fk" FOREIGN KEY ("reviewed_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "auctions_due_idx" ON "auctions" USING btree ("ends_at","listing_id") WHERE "auctions"."status" = 'open';--> statement-breakpoint
CREATE UNIQUE INDEX "bids_listing_amount_key" ON "bids" USING btree ("listing_id","amount_fen");--> statement-breakpoint
CREATE UNIQUE INDEX "bids_listing_seq_key" ON "bids" USING btree ("listing_id","seq");--> statement-breakpoint
CREATE INDEX "bids_registration_idx" ON "bids" USING btree ("registration_id");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_entries_listing_seq_key" ON "audit_entries" USING btree ("listing_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "contracts_lineage_revision_key" ON "contracts" USING btree ("lineage_id","revision");--> statement-breakpoint
CREATE UNIQUE INDEX "contracts_lineage_current_key" ON "contracts" USING btree ("lineage_id") WHERE "contracts"."status" in ('registered','cancelled');--> statement-breakpoint
CREATE UNIQUE INDEX "contracts_number_current_key" ON "contracts" USING btree ("registration_number") WHERE "contracts"."status" in ('registered','cancelled');--> statement-breakpoint
CREATE UNIQUE INDEX "contracts_lineage_pending_key" ON "contracts" USING btree ("lineage_id") WHERE "contracts"."status" in ('submitted','material_requested');--> statement-breakpoint
CREATE INDEX "contracts_stats_idx" ON "contracts" USING btree ("registered_on","amount_fen","technology_amount_fen") WHERE "contracts"."status" = 'registered';--> statement-breakpoint
CREATE INDEX "contracts_review_due_idx" ON "contracts" USING btree ("review_due_on","id") WHERE "contracts"."status" = 'submitted';--> statement-breakpoint
CREATE INDEX "contracts_seller_idx" ON "contracts" USING btree ("seller_organization_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "contracts_buyer_idx" ON "contracts" USING btree ("buyer_organization_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "contracts_deal_idx" ON "contracts" USING btree ("deal_id") WHERE "contracts"."deal_id" is not null;--> statement-breakpoint
CREATE INDEX "deal_events_deal_idx" ON "deal_events" USING btree ("deal_id","at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "deals_listing_key" ON "deals" USING btree ("listing_id") WHERE "deals"."listing_id" is not null;--> statement-breakpoint
CREATE INDEX "deals_broker_idx" ON "deals" USING btree ("broker_organization_id","id" DESC NULLS LAST) WHERE "deals"."broker_organization_id" is not null;--> statement-breakpoint
CREATE INDEX "deals_seller_idx" ON "deals" USING btree ("seller_organization_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "deals_buyer_idx" ON "deals" USING btree ("buyer_organization_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "deals_need_idx" ON "deals" USING btree ("need_id") WHERE "deals"."need_id" is not null;--> statement-breakpoint
CREATE INDEX "deals_achievement_idx" ON "deals" USING btree ("achievement_id") WHERE "deals"."achievement_id" is not null;--> statement-breakpoint
CREATE INDEX "idempotency_keys_expires_idx" ON "idempotency_keys" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "listing_registrations_org_key" ON "listing_registrations" USING btree ("listing_id","organization_id");--> statement-breakpoint
CREATE UNIQUE INDEX "listing_registrations_paddle_key" ON "listing_registrations" USING btree ("listing_id","paddle");--> statement-breakpoint
CREATE INDEX "listing_registrations_organization_idx" ON "listing_registrations" USING btree ("organization_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "listings_due_idx" ON "listings" USING btree ("due_at","id") WHERE "listings"."due_at" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "listings_live_achievement_key" ON "listings" USING btree ("achievement_id") WHERE "listings"."status" in ('pending_review','notice','auction','awaiting_agreement');--> statement-breakpoint
CREATE INDEX "listings_public_idx" ON "listings" USING btree ("id" DESC NULLS LAST) WHERE "listings"."published_at" is not null;--> statement-breakpoint
CREATE INDEX "listings_seller_idx" ON "listings" USING btree ("seller_organization_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "listings_pending_idx" ON "listings" USING btree ("id") WHERE "listings"."status" = 'pending_review';--> statement-breakpoint
CREATE INDEX "listing_events_listing_idx" ON "listing_events" USING btree ("listing_id","id");--> statement-breakpoint
CREATE INDEX "search_documents_tsv_idx" ON "search_documents" USING gin ("tsv");--> statement-breakpoint
CREATE INDEX "search_documents_title_trgm_idx" ON "search_documents" USING gin ("title" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "search_documents_field_path_idx" ON "search_documents" USING gin ("field_path_codes");--> statement-breakpoint
CREATE INDEX "search_documents_newest_idx" ON "search_documents" USING btree ("kind","published_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "search_outbox_due_idx" ON "search_outbox" USING btree ("entity","next_attempt_at","id") WHERE "search_outbox"."dead_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "search_outbox_expiry_idx" ON "search_outbox" USING btree ("entity","entity_id") WHERE "search_outbox"."reason" = 'expiry' and "search_outbox"."dead_at" is null;--> statement-breakpoint
CREATE INDEX "achievements_public_idx" ON "achievements" USING btree ("published_at","id") WHERE "achievements"."status" = 'published';--> statement-breakpoint
CREATE INDEX "needs_public_idx" ON "needs" USING btree ("published_at","id") WHERE "needs"."status" = 'published';