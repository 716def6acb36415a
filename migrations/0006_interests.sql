CREATE TABLE "interests" (
	"id" uuid PRIMARY KEY NOT NULL,
	"achievement_id" uuid,
	"need_id" uuid,
	"owner_organization_id" uuid NOT NULL,
	"requester_organization_id" uuid NOT NULL,
	"requester_user_id" uuid NOT NULL,
	"message" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"decision_message" text,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "interests_subject_check" CHECK (("interests"."achievement_id" is null) <> ("interests"."need_id" is null)),
	CONSTRAINT "interests_status_check" CHECK ("interests"."status" in ('pending','accepted','declined')),
	CONSTRAINT "interests_not_own_check" CHECK ("interests"."owner_organization_id" <> "interests"."requester_organization_id")
);
--> statement-breakpoint
CREATE TABLE "notification_outbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "notification_outbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"topic" text NOT NULL,
	"subject_kind" text,
	"subject_id" uuid,
	"subscription_id" uuid,
	"payload" jsonb,
	"enqueued_at" timestamp with time zone NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"dead_at" timestamp with time zone,
	CONSTRAINT "notification_outbox_topic_check" CHECK ("notification_outbox"."topic" in ('publication','webhook')),
	CONSTRAINT "notification_outbox_shape_check" CHECK (case "notification_outbox"."topic" when 'publication' then "notification_outbox"."subject_kind" is not null and "notification_outbox"."subject_id" is not null else "notification_outbox"."subscription_id" is not null and "notification_outbox"."payload" is not null end)
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"type" text NOT NULL,
	"subject_kind" text NOT NULL,
	"subject_id" uuid NOT NULL,
	"title" text NOT NULL,
	"message" text,
	"interest_id" uuid,
	"subscription_id" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"read_at" timestamp with time zone,
	CONSTRAINT "notifications_type_check" CHECK ("notifications"."type" in ('interest_received','interest_accepted','interest_declined','subscription_match'))
);
--> statement-breakpoint
CREATE TABLE "subscriptions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"q" text,
	"match_query" text,
	"title_pattern" text,
	"field_codes" text[] DEFAULT '{}'::text[] NOT NULL,
	"region_code" text,
	"webhook_url" text,
	"webhook_secret" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "subscriptions_kind_check" CHECK ("subscriptions"."kind" in ('achievement','need')),
	CONSTRAINT "subscriptions_webhook_check" CHECK (("subscriptions"."webhook_url" is null) = ("subscriptions"."webhook_secret" is null))
);
--> statement-breakpoint
ALTER TABLE "contracts" DROP CONSTRAINT "contracts_status_check";--> statement-breakpoint
DROP INDEX "achievements_organization_idx";--> statement-breakpoint
DROP INDEX "needs_organization_idx";--> statement-breakpoint
ALTER TABLE "contracts" ALTER COLUMN "subtype" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "contracts" ALTER COLUMN "seller_nature_code" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "contracts" ALTER COLUMN "buyer_nature_code" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "contracts" ALTER COLUMN "signed_on" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "contracts" ALTER COLUMN "valid_from" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "contracts" ALTER COLUMN "valid_to" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "contracts" ALTER COLUMN "technology_domain" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "contracts" ALTER COLUMN "ip_type" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "contracts" ALTER COLUMN "socio_economic_goal" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "contracts" ALTER COLUMN "industry_code" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "contracts" ALTER COLUMN "document_reference" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "contracts" ALTER COLUMN "filed_by" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "contracts" ALTER COLUMN "filed_at" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "contracts" ALTER COLUMN "review_working_days" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "contracts" ALTER COLUMN "review_clock_started_at" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "interests" ADD CONSTRAINT "interests_achievement_id_achievements_id_fk" FOREIGN KEY ("achievement_id") REFERENCES "public"."achievements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "interests" ADD CONSTRAINT "interests_need_id_needs_id_fk" FOREIGN KEY ("need_id") REFERENCES "public"."needs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "interests" ADD CONSTRAINT "interests_owner_organization_id_organizations_id_fk" FOREIGN KEY ("owner_organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "interests" ADD CONSTRAINT "interests_requester_organization_id_organizations_id_fk" FOREIGN KEY ("requester_organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "interests" ADD CONSTRAINT "interests_requester_user_id_users_id_fk" FOREIGN KEY ("requester_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "interests" ADD CONSTRAINT "interests_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_outbox" ADD CONSTRAINT "notification_outbox_subscription_id_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."subscriptions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_interest_id_interests_id_fk" FOREIGN KEY ("interest_id") REFERENCES "public"."interests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_subscription_id_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."subscriptions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "interests_open_achievement_key" ON "interests" USING btree ("achievement_id","requester_organization_id") WHERE "interests"."achievement_id" is not null and "interests"."status" in ('pending','accepted');--> statement-breakpoint
CREATE UNIQUE INDEX "interests_open_need_key" ON "interests" USING btree ("need_id","requester_organization_id") WHERE "interests"."need_id" is not null and "interests"."status" in ('pending','accepted');--> statement-breakpoint
CREATE INDEX "interests_achievement_idx" ON "interests" USING btree ("achievement_id","created_at","id");--> statement-breakpoint
CREATE INDEX "interests_need_idx" ON "interests" USING btree ("need_id","created_at","id");--> statement-breakpoint
CREATE INDEX "interests_owner_idx" ON "interests" USING btree ("owner_organization_id","created_at","id");--> statement-breakpoint
CREATE INDEX "interests_requester_idx" ON "interests" USING btree ("requester_organization_id","created_at","id");--> statement-breakpoint
CREATE INDEX "notification_outbox_due_idx" ON "notification_outbox" USING btree ("topic","next_attempt_at","id") WHERE "notification_outbox"."dead_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_subscription_subject_key" ON "notifications" USING btree ("subscription_id","subject_kind","subject_id");--> statement-breakpoint
CREATE INDEX "notifications_user_idx" ON "notifications" USING btree ("user_id","created_at","id");--> statement-breakpoint
CREATE INDEX "notifications_unread_idx" ON "notifications" USING btree ("user_id","created_at","id") WHERE "notifications"."read_at" is null;--> statement-breakpoint
CREATE INDEX "subscriptions_user_idx" ON "subscriptions" USING btree ("user_id","created_at","id");--> statement-breakpoint
CREATE INDEX "subscriptions_kind_idx" ON "subscriptions" USING btree ("kind");--> statement-breakpoint
CREATE INDEX "subscriptions_field_codes_idx" ON "subscriptions" USING gin ("field_codes");--> statement-breakpoint
CREATE UNIQUE INDEX "contracts_deal_draft_key" ON "contracts" USING btree ("deal_id") WHERE "contracts"."status" = 'draft';--> statement-breakpoint
CREATE INDEX "achievements_organization_idx" ON "achievements" USING btree ("organization_id","created_at","id");--> statement-breakpoint
CREATE INDEX "needs_organization_idx" ON "needs" USING btree ("organization_id","created_at","id");--> statement-breakpoint
ALTER TABLE "contracts" ADD CONSTRAINT "contracts_filed_check" CHECK ("contracts"."status" = 'draft' or ("contracts"."subtype" is not null and "contracts"."signed_on" is not null and "contracts"."valid_from" is not null and "contracts"."valid_to" is not null
        and "contracts"."technology_domain" is not null and "contracts"."ip_type" is not null and "contracts"."socio_economic_goal" is not null and "contracts"."industry_code" is not null
        and "contracts"."seller_nature_code" is not null and "contracts"."buyer_nature_code" is not null and "contracts"."document_reference" is not null
        and "contracts"."filed_by" is not null and "contracts"."filed_at" is not null and "contracts"."review_working_days" is not null and "contracts"."review_clock_started_at" is not null));--> statement-breakpoint
ALTER TABLE "contracts" ADD CONSTRAINT "contracts_draft_check" CHECK ("contracts"."status" <> 'draft' or ("contracts"."filing_kind" = 'original' and "contracts"."deal_id" is not null and "contracts"."registration_number" is null and "contracts"."review_due_on" is null and "contracts"."decided_at" is null));--> statement-breakpoint
ALTER TABLE "contracts" ADD CONSTRAINT "contracts_status_check" CHECK ("contracts"."status" in ('draft','submitted','material_requested','registered','rejected','superseded','cancelled'));