ALTER TABLE "changes" ALTER COLUMN "diff" DROP NOT NULL;--> statement-breakpoint
CREATE INDEX "sources_name_idx" ON "sources" USING btree ("name") WHERE "sources"."deleted_at" IS NULL;--> statement-breakpoint
ALTER TABLE "changes" ADD CONSTRAINT "changes_diff_check" CHECK ("changes"."diff" IS NOT NULL OR "changes"."action" = 'create');