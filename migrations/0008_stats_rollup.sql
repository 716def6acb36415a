CREATE TABLE "contract_stats_rollup" (
	"dimension" text NOT NULL,
	"grain" text NOT NULL,
	"period" date NOT NULL,
	"key" text NOT NULL,
	"contracts" integer NOT NULL,
	"amount_fen" bigint NOT NULL,
	"technology_amount_fen" bigint NOT NULL,
	CONSTRAINT "contract_stats_rollup_pkey" PRIMARY KEY("dimension","grain","period","key"),
	CONSTRAINT "contract_stats_rollup_dimension_check" CHECK ("contract_stats_rollup"."dimension" in ('total','type','subtype','field','domain','seller_region','buyer_region','seller_kind','ip_type','goal','industry')),
	CONSTRAINT "contract_stats_rollup_grain_check" CHECK ("contract_stats_rollup"."grain" in ('day','month') and ("contract_stats_rollup"."grain" = 'day' or extract(day from "contract_stats_rollup"."period") = 1))
);
--> statement-breakpoint
DROP INDEX "contracts_stats_idx";--> statement-breakpoint
CREATE INDEX "contract_stats_rollup_read_idx" ON "contract_stats_rollup" USING btree ("dimension","grain","period","key","contracts","amount_fen","technology_amount_fen");--> statement-breakpoint
CREATE INDEX "contracts_stats_idx" ON "contracts" USING btree ("registered_on","seller_region_code","buyer_region_code","type","subtype","field_code","technology_domain","seller_nature_code","ip_type","socio_economic_goal","industry_code","amount_fen","technology_amount_fen") WHERE "contracts"."status" = 'registered';