ALTER TABLE "incidents" ADD COLUMN "actors" json DEFAULT '[]'::json NOT NULL;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "tags" json DEFAULT '[]'::json NOT NULL;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "external_ids" json DEFAULT '[]'::json NOT NULL;--> statement-breakpoint
UPDATE "incidents" i SET
  "actors" = coalesce((SELECT array_to_json(array_agg(r ORDER BY a.position)) FROM incident_actors a CROSS JOIN LATERAL (SELECT a.name, a.role) r WHERE a.incident_id = i.id), '[]'::json),
  "tags" = coalesce((SELECT array_to_json(array_agg(t.tag ORDER BY t.tag)) FROM incident_tags t WHERE t.incident_id = i.id), '[]'::json),
  "external_ids" = coalesce((SELECT array_to_json(array_agg(r ORDER BY e.system, e.external_id)) FROM incident_external_ids e CROSS JOIN LATERAL (SELECT e.system, e.external_id AS id) r WHERE e.incident_id = i.id), '[]'::json)
WHERE EXISTS (SELECT 1 FROM incident_actors a WHERE a.incident_id = i.id)
   OR EXISTS (SELECT 1 FROM incident_tags t WHERE t.incident_id = i.id)
   OR EXISTS (SELECT 1 FROM incident_external_ids e WHERE e.incident_id = i.id);
