CREATE TABLE "invites" (
	"id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid NOT NULL,
	"code_hash" text NOT NULL,
	"email" text,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"used_by" uuid
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"region_code" text NOT NULL,
	"credit_code" text,
	"description" text,
	"website" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "organizations_kind_check" CHECK ("organizations"."kind" in ('university','institute','enterprise','broker','platform'))
);
--> statement-breakpoint
CREATE TABLE "refresh_tokens" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"family_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"rotated_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"display_name" text NOT NULL,
	"role" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"last_login_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "users_role_check" CHECK ("users"."role" in ('owner','member','admin'))
);
--> statement-breakpoint
CREATE TABLE "achievements" (
	"id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid NOT NULL,
	"created_by" uuid NOT NULL,
	"title" text NOT NULL,
	"summary" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"description_confidential" boolean DEFAULT false NOT NULL,
	"indicators" text,
	"applications" text,
	"keywords" text[] DEFAULT '{}'::text[] NOT NULL,
	"field_codes" text[] NOT NULL,
	"field_path_codes" text[] NOT NULL,
	"trl" smallint NOT NULL,
	"stage" text NOT NULL,
	"ip_rights" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"transfer_modes" text[] NOT NULL,
	"price_kind" text NOT NULL,
	"price_fen" bigint,
	"institution" text NOT NULL,
	"region_code" text NOT NULL,
	"contact" jsonb,
	"status" text DEFAULT 'draft' NOT NULL,
	"review_reason" text,
	"valid_until" timestamp with time zone NOT NULL,
	"submitted_at" timestamp with time zone,
	"published_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "achievements_trl_check" CHECK ("achievements"."trl" between 1 and 9),
	CONSTRAINT "achievements_status_check" CHECK ("achievements"."status" in ('draft','pending_review','published','rejected','archived')),
	CONSTRAINT "achievements_price_check" CHECK (("achievements"."price_kind" = 'fixed') = ("achievements"."price_fen" is not null) and coalesce("achievements"."price_fen", 0) >= 0),
	CONSTRAINT "achievements_fields_check" CHECK (cardinality("achievements"."field_codes") between 1 and 5)
);
--> statement-breakpoint
CREATE TABLE "field_crosswalk" (
	"from_code" text NOT NULL,
	"to_code" text NOT NULL,
	CONSTRAINT "field_crosswalk_from_code_to_code_pk" PRIMARY KEY("from_code","to_code")
);
--> statement-breakpoint
CREATE TABLE "fields" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"name_en" text NOT NULL,
	"parent_code" text,
	"scheme" text NOT NULL,
	"depth" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "regions" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"level" text NOT NULL,
	"province_code" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "needs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid NOT NULL,
	"created_by" uuid NOT NULL,
	"title" text NOT NULL,
	"description" text NOT NULL,
	"description_confidential" boolean DEFAULT false NOT NULL,
	"summary" text DEFAULT '' NOT NULL,
	"indicators" text,
	"keywords" text[] DEFAULT '{}'::text[] NOT NULL,
	"field_codes" text[] NOT NULL,
	"field_path_codes" text[] NOT NULL,
	"need_type" text NOT NULL,
	"trl_min" smallint,
	"budget_min_fen" bigint,
	"budget_max_fen" bigint,
	"budget_negotiable" boolean DEFAULT false NOT NULL,
	"cooperation_modes" text[] NOT NULL,
	"deadline" date,
	"region_code" text NOT NULL,
	"contact" jsonb,
	"status" text DEFAULT 'draft' NOT NULL,
	"review_reason" text,
	"valid_until" timestamp with time zone NOT NULL,
	"submitted_at" timestamp with time zone,
	"published_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "needs_trl_check" CHECK ("needs"."trl_min" is null or "needs"."trl_min" between 1 and 9),
	CONSTRAINT "needs_status_check" CHECK ("needs"."status" in ('draft','pending_review','published','rejected','archived')),
	CONSTRAINT "needs_budget_check" CHECK (coalesce("needs"."budget_min_fen", 0) >= 0 and ("needs"."budget_min_fen" is null or "needs"."budget_max_fen" is null or "needs"."budget_min_fen" <= "needs"."budget_max_fen")),
	CONSTRAINT "needs_fields_check" CHECK (cardinality("needs"."field_codes") between 1 and 5)
);
--> statement-breakpoint
ALTER TABLE "invites" ADD CONSTRAINT "invites_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invites" ADD CONSTRAINT "invites_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invites" ADD CONSTRAINT "invites_used_by_users_id_fk" FOREIGN KEY ("used_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "achievements" ADD CONSTRAINT "achievements_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "achievements" ADD CONSTRAINT "achievements_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "needs" ADD CONSTRAINT "needs_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "needs" ADD CONSTRAINT "needs_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "invites_code_hash_key" ON "invites" USING btree ("code_hash");--> statement-breakpoint
CREATE INDEX "invites_organization_idx" ON "invites" USING btree ("organization_id");--> statement-breakpoint
CREATE UNIQUE INDEX "organizations_credit_code_key" ON "organizations" USING btree ("credit_code");--> statement-breakpoint
CREATE UNIQUE INDEX "refresh_tokens_hash_key" ON "refresh_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "refresh_tokens_family_idx" ON "refresh_tokens" USING btree ("family_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_key" ON "users" USING btree (lower("email"));--> statement-breakpoint
CREATE INDEX "users_organization_idx" ON "users" USING btree ("organization_id");--> statement-breakpoint
CREATE INDEX "achievements_public_idx" ON "achievements" USING btree ("published_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "achievements"."status" = 'published';--> statement-breakpoint
CREATE INDEX "achievements_field_path_idx" ON "achievements" USING gin ("field_path_codes");--> statement-breakpoint
CREATE INDEX "achievements_transfer_modes_idx" ON "achievements" USING gin ("transfer_modes");--> statement-breakpoint
CREATE INDEX "achievements_organization_idx" ON "achievements" USING btree ("organization_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "achievements_pending_idx" ON "achievements" USING btree ("submitted_at") WHERE "achievements"."status" = 'pending_review';--> statement-breakpoint
CREATE INDEX "achievements_title_trgm_idx" ON "achievements" USING gin ("title" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "needs_public_idx" ON "needs" USING btree ("published_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "needs"."status" = 'published';--> statement-breakpoint
CREATE INDEX "needs_field_path_idx" ON "needs" USING gin ("field_path_codes");--> statement-breakpoint
CREATE INDEX "needs_organization_idx" ON "needs" USING btree ("organization_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "needs_pending_idx" ON "needs" USING btree ("submitted_at") WHERE "needs"."status" = 'pending_review';--> statement-breakpoint
CREATE INDEX "needs_title_trgm_idx" ON "needs" USING gin ("title" gin_trgm_ops);