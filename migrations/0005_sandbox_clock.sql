CREATE TABLE "sandbox_clock" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"offset_ms" bigint DEFAULT 0 NOT NULL,
	"moved_by" uuid,
	"moved_at" timestamp with time zone,
	CONSTRAINT "sandbox_clock_single_row_check" CHECK ("sandbox_clock"."id" = 1),
	CONSTRAINT "sandbox_clock_offset_check" CHECK ("sandbox_clock"."offset_ms" >= 0)
);
--> statement-breakpoint
ALTER TABLE "sandbox_clock" ADD CONSTRAINT "sandbox_clock_moved_by_users_id_fk" FOREIGN KEY ("moved_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;