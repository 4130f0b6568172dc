ALTER TABLE "incidents" ADD COLUMN "search_vector" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(summary, '') || ' ' || coalesce(place, ''))) STORED;--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "search_vector" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', coalesce(statement, '') || ' ' || coalesce(translation, ''))) STORED;--> statement-breakpoint
CREATE INDEX "incidents_search_idx" ON "incidents" USING gin ("search_vector");--> statement-breakpoint
CREATE INDEX "incidents_latitude_longitude_idx" ON "incidents" USING btree ("latitude","longitude");--> statement-breakpoint
CREATE INDEX "incidents_killed_best_idx" ON "incidents" USING btree (coalesce("killed_best", -1),"id");--> statement-breakpoint
CREATE INDEX "claims_search_idx" ON "claims" USING gin ("search_vector");