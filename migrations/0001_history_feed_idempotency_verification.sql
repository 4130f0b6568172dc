CREATE SEQUENCE "public"."change_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "changes" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"action" text NOT NULL,
	"actor" text NOT NULL,
	"request_id" text,
	"changed_at" timestamp (3) with time zone NOT NULL,
	"state" jsonb NOT NULL,
	"diff" jsonb NOT NULL,
	"cause" jsonb,
	CONSTRAINT "changes_resource_version_key" UNIQUE("resource_type","resource_id","version"),
	CONSTRAINT "changes_resource_type_check" CHECK ("changes"."resource_type" IN ('source', 'incident', 'claim')),
	CONSTRAINT "changes_action_check" CHECK ("changes"."action" IN ('create', 'update', 'delete'))
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"actor" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"response_status" integer,
	"response_body" jsonb,
	"response_location" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp (3) with time zone,
	"expires_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY("actor","key")
);
--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "verification_status" text;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "verification_rationale" text;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "verified_by" text;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "verified_at" timestamp (3) with time zone;--> statement-breakpoint
CREATE INDEX "changes_resource_changed_at_idx" ON "changes" USING btree ("resource_type","resource_id","changed_at");--> statement-breakpoint
CREATE INDEX "idempotency_keys_expires_at_idx" ON "idempotency_keys" USING btree ("expires_at");--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_verification_status_check" CHECK ("incidents"."verification_status" IN ('verified', 'discredited'));--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_verification_rationale_check" CHECK ("incidents"."verification_status" IS NULL OR length(btrim("incidents"."verification_rationale")) > 0);