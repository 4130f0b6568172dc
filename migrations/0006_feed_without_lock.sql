-- Changes journaled before the feed took transaction ids keep their seq order at xid 0; the default only fills
-- them (without rewriting the table) and is dropped: the journal always sets xid.
ALTER TABLE "changes" ADD COLUMN "xid" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "changes" ALTER COLUMN "xid" DROP DEFAULT;--> statement-breakpoint
CREATE INDEX "changes_feed_idx" ON "changes" USING btree ("xid","seq");
