CREATE TABLE "sources" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"acronym" text,
	"kind" text NOT NULL,
	"url" text,
	"country" text,
	"independence_group" text,
	"reliability" text DEFAULT 'F' NOT NULL,
	"party_to_conflict" boolean DEFAULT false NOT NULL,
	"protected" boolean DEFAULT false NOT NULL,
	"notes" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	CONSTRAINT "sources_kind_check" CHECK ("sources"."kind" IN ('monitor', 'ngo', 'news_media', 'state_media', 'government', 'intergovernmental', 'armed_group', 'witness', 'social_media', 'other')),
	CONSTRAINT "sources_reliability_check" CHECK ("sources"."reliability" IN ('A', 'B', 'C', 'D', 'E', 'F')),
	CONSTRAINT "sources_country_check" CHECK ("sources"."country" ~ '^[A-Z]{3}$'),
	CONSTRAINT "sources_name_check" CHECK (length(btrim("sources"."name")) > 0)
);
--> statement-breakpoint
CREATE TABLE "incident_actors" (
	"incident_id" uuid NOT NULL,
	"position" smallint NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	CONSTRAINT "incident_actors_pkey" PRIMARY KEY("incident_id","position"),
	CONSTRAINT "incident_actors_role_check" CHECK ("incident_actors"."role" IN ('perpetrator', 'target', 'other'))
);
--> statement-breakpoint
CREATE TABLE "incident_external_ids" (
	"incident_id" uuid NOT NULL,
	"system" text NOT NULL,
	"external_id" text NOT NULL,
	CONSTRAINT "incident_external_ids_system_id_key" PRIMARY KEY("system","external_id")
);
--> statement-breakpoint
CREATE TABLE "incident_ref_counters" (
	"prefix" text PRIMARY KEY NOT NULL,
	"last_value" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "incident_tags" (
	"incident_id" uuid NOT NULL,
	"tag" text NOT NULL,
	CONSTRAINT "incident_tags_pkey" PRIMARY KEY("incident_id","tag")
);
--> statement-breakpoint
CREATE TABLE "incidents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"ref" text NOT NULL,
	"title" text NOT NULL,
	"summary" text,
	"category" text NOT NULL,
	"subcategory" text,
	"occurred_from" date NOT NULL,
	"occurred_to" date NOT NULL,
	"date_precision" text DEFAULT 'day' NOT NULL,
	"country" text,
	"admin1" text,
	"admin2" text,
	"admin3" text,
	"place" text,
	"latitude" double precision,
	"longitude" double precision,
	"geo_precision" text,
	"parent_id" uuid,
	"duplicate_of" uuid,
	"status" text DEFAULT 'unverified' NOT NULL,
	"casualties" jsonb NOT NULL,
	"killed_best" integer,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	CONSTRAINT "incidents_ref_key" UNIQUE("ref"),
	CONSTRAINT "incidents_category_check" CHECK ("incidents"."category" IN ('battle', 'explosion_remote_violence', 'violence_against_civilians', 'protest', 'riot', 'strategic_development')),
	CONSTRAINT "incidents_subcategory_check" CHECK ("incidents"."subcategory" IN ('mass_killing', 'execution', 'attack', 'abduction', 'sexual_violence', 'armed_clash', 'air_strike', 'drone_strike', 'shelling', 'other')),
	CONSTRAINT "incidents_date_precision_check" CHECK ("incidents"."date_precision" IN ('day', 'week', 'month', 'year')),
	CONSTRAINT "incidents_geo_precision_check" CHECK ("incidents"."geo_precision" IN ('exact', 'near', 'admin3', 'admin2', 'admin1', 'country')),
	CONSTRAINT "incidents_status_check" CHECK ("incidents"."status" IN ('unverified', 'corroborated', 'disputed', 'verified', 'discredited')),
	CONSTRAINT "incidents_occurred_range_check" CHECK ("incidents"."occurred_to" >= "incidents"."occurred_from"),
	CONSTRAINT "incidents_country_check" CHECK ("incidents"."country" ~ '^[A-Z]{3}$'),
	CONSTRAINT "incidents_latitude_check" CHECK ("incidents"."latitude" BETWEEN -90 AND 90),
	CONSTRAINT "incidents_longitude_check" CHECK ("incidents"."longitude" BETWEEN -180 AND 180),
	CONSTRAINT "incidents_coordinates_pair_check" CHECK (("incidents"."latitude" IS NULL) = ("incidents"."longitude" IS NULL)),
	CONSTRAINT "incidents_not_own_parent_check" CHECK ("incidents"."parent_id" <> "incidents"."id"),
	CONSTRAINT "incidents_title_check" CHECK (length(btrim("incidents"."title")) > 0)
);
--> statement-breakpoint
CREATE TABLE "claims" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"incident_id" uuid NOT NULL,
	"source_id" uuid NOT NULL,
	"stance" text DEFAULT 'supports' NOT NULL,
	"statement" text,
	"language" text,
	"translation" text,
	"published_at" timestamp (3) with time zone,
	"url" text,
	"archived_url" text,
	"content_sha256" text,
	"killed" integer,
	"killed_civilians" integer,
	"killed_combatants" integer,
	"injured" integer,
	"detained" integer,
	"missing" integer,
	"figures_are_minimum" boolean DEFAULT false NOT NULL,
	"credibility" smallint DEFAULT 6 NOT NULL,
	"review_status" text DEFAULT 'pending' NOT NULL,
	"review_note" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	CONSTRAINT "claims_stance_check" CHECK ("claims"."stance" IN ('supports', 'contradicts')),
	CONSTRAINT "claims_review_status_check" CHECK ("claims"."review_status" IN ('pending', 'accepted', 'rejected')),
	CONSTRAINT "claims_credibility_check" CHECK ("claims"."credibility" BETWEEN 1 AND 6),
	CONSTRAINT "claims_content_sha256_check" CHECK ("claims"."content_sha256" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "claims_figures_non_negative_check" CHECK ("claims"."killed" >= 0 AND "claims"."killed_civilians" >= 0 AND "claims"."killed_combatants" >= 0 AND "claims"."injured" >= 0 AND "claims"."detained" >= 0 AND "claims"."missing" >= 0)
);
--> statement-breakpoint
ALTER TABLE "incident_actors" ADD CONSTRAINT "incident_actors_incident_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_external_ids" ADD CONSTRAINT "incident_external_ids_incident_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_tags" ADD CONSTRAINT "incident_tags_incident_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_parent_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_duplicate_of_fk" FOREIGN KEY ("duplicate_of") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_incident_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_source_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sources_created_at_id_idx" ON "sources" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "sources_kind_idx" ON "sources" USING btree ("kind");--> statement-breakpoint
CREATE INDEX "incident_actors_name_idx" ON "incident_actors" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "incident_external_ids_incident_id_idx" ON "incident_external_ids" USING btree ("incident_id");--> statement-breakpoint
CREATE INDEX "incident_tags_tag_idx" ON "incident_tags" USING btree ("tag");--> statement-breakpoint
CREATE INDEX "incidents_occurred_from_id_idx" ON "incidents" USING btree ("occurred_from","id");--> statement-breakpoint
CREATE INDEX "incidents_created_at_id_idx" ON "incidents" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "incidents_updated_at_id_idx" ON "incidents" USING btree ("updated_at","id");--> statement-breakpoint
CREATE INDEX "incidents_country_occurred_from_idx" ON "incidents" USING btree ("country","occurred_from","id");--> statement-breakpoint
CREATE INDEX "incidents_admin1_occurred_from_idx" ON "incidents" USING btree ("admin1","occurred_from","id");--> statement-breakpoint
CREATE INDEX "incidents_category_occurred_from_idx" ON "incidents" USING btree ("category","occurred_from","id");--> statement-breakpoint
CREATE INDEX "incidents_parent_id_idx" ON "incidents" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "claims_created_at_id_idx" ON "claims" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "claims_incident_id_created_at_idx" ON "claims" USING btree ("incident_id","created_at","id");--> statement-breakpoint
CREATE INDEX "claims_source_id_created_at_idx" ON "claims" USING btree ("source_id","created_at","id");