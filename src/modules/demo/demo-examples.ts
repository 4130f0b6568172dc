/**
 * The demo report (demo-data.ts) as the API shows it, with fixed ids and times: the examples of the OpenAPI
 * document, so that the interactive docs show a monitor's claim about al-Mukhtariya rather than "string". A test
 * checks every example against the schema it illustrates.
 */

export const EXAMPLE_IDS = {
  monitor: '3f1c9a52-7d4e-4b8a-9c21-5e6f7a8b9c01',
  ministry: '3f1c9a52-7d4e-4b8a-9c21-5e6f7a8b9c02',
  video: '3f1c9a52-7d4e-4b8a-9c21-5e6f7a8b9c05',
  battle: '8b2e4f60-1a3c-4d5e-8f70-91a2b3c4d501',
  mukhtariya: '8b2e4f60-1a3c-4d5e-8f70-91a2b3c4d503',
  monitorClaim: 'c7d8e9f0-2b3c-4d5e-9f60-718293a4b506',
  videoClaim: 'c7d8e9f0-2b3c-4d5e-9f60-718293a4b507',
  key: '5c9cb12d-204c-4564-8e27-f21e8dcec70e',
  reviewDesk: '8d8dc9a1-0b58-403c-8d6c-56b479cbe323',
} as const;

const created = '2025-03-07T18:20:00.000Z';
const reviewed = '2025-03-08T09:15:00.000Z';
const lifecycle = (version = 1, updated = created) => ({
  created_at: created,
  updated_at: updated,
  version,
  deleted_at: null,
});

/** An opaque cursor as the API issues them. */
export const EXAMPLE_CURSOR = 'eyJzIjoiLW9jY3VycmVkX2Zyb20iLCJhIjpbIjIwMjUtMDMtMDYiLCI4YjJlNGY2MCJdfQ';

export const sourceCreateExample = {
  name: 'Syrian Network for Human Rights',
  acronym: 'SNHR',
  kind: 'monitor' as const,
  url: 'https://snhr.org/',
  country: 'SYR',
  independence_group: 'snhr',
  reliability: 'B' as const,
  party_to_conflict: false,
  protected: false,
  notes: 'Independent monitor documenting casualties in Syria since 2011.',
};

export const sourceExample = { id: EXAMPLE_IDS.monitor, ...sourceCreateExample, ...lifecycle() };

export const sourcePatchExample = {
  reliability: 'A' as const,
  notes: 'Independent monitor; its lists name each victim.',
};

export const incidentCreateExample = {
  title: 'Mass killing of civilians in al-Mukhtariya',
  summary: 'About 40 civilians executed together in the village; videos show the bodies.',
  category: 'violence_against_civilians' as const,
  subcategory: 'mass_killing' as const,
  occurred_from: '2025-03-06',
  occurred_to: '2025-03-07',
  date_precision: 'day' as const,
  country: 'SYR',
  admin1: 'Latakia',
  admin2: 'Latakia',
  place: 'al-Mukhtariya',
  latitude: 35.6017,
  longitude: 35.8861,
  geo_precision: 'near' as const,
  actors: [{ name: 'Civilians', role: 'target' as const }],
  tags: ['coastal-violence-2025'],
  parent_id: EXAMPLE_IDS.battle,
  external_ids: [{ system: 'acled', id: 'SYR110002' }],
};

const killed = {
  low: 40,
  best: 40,
  high: 40,
  claims: 1,
  low_claim_id: EXAMPLE_IDS.monitorClaim,
  best_claim_id: EXAMPLE_IDS.monitorClaim,
  high_claim_id: EXAMPLE_IDS.monitorClaim,
};

export const incidentExample = {
  id: EXAMPLE_IDS.mukhtariya,
  ref: 'SYR-2025-000003',
  ...incidentCreateExample,
  admin3: null,
  duplicate_of: null,
  status: 'corroborated' as const,
  verification: null,
  casualties: {
    method: 'ranked-source/1',
    killed,
    killed_civilians: killed,
    killed_combatants: null,
    injured: null,
    detained: null,
    missing: null,
  },
  ...lifecycle(3, reviewed),
};

export const incidentPatchExample = {
  summary: 'About 40 civilians, women among them, executed together in the village; videos show the bodies.',
  tags: ['coastal-violence-2025', 'women-targeted'],
};

export const verificationRequestExample = {
  status: 'verified' as const,
  rationale: 'Names of 38 victims matched against the monitor’s list and two survivors’ testimony.',
};

export const claimCreateExample = {
  incident_id: EXAMPLE_IDS.mukhtariya,
  source_id: EXAMPLE_IDS.monitor,
  stance: 'supports' as const,
  statement: 'About 40 civilians were executed together in al-Mukhtariya.',
  language: 'en',
  published_at: '2025-03-07T18:00:00.000Z',
  url: 'https://snhr.org/blog/2025/03/07/latakia/',
  killed: 40,
  killed_civilians: 40,
  figures_are_minimum: false,
  credibility: 2,
};

export const claimExample = {
  id: EXAMPLE_IDS.monitorClaim,
  ...claimCreateExample,
  translation: null,
  archived_url: null,
  content_sha256: null,
  killed_combatants: null,
  injured: null,
  detained: null,
  missing: null,
  review_status: 'accepted' as const,
  review_note: 'Matches the victims’ list published the same day.',
  ...lifecycle(2, reviewed),
};

export const claimPatchExample = {
  review_status: 'accepted' as const,
  review_note: 'Matches the victims’ list published the same day.',
};

/** A page of a list, as `{data, next_cursor}`. */
export const pageExample = <T>(item: T) => ({ data: [item], next_cursor: EXAMPLE_CURSOR });

export const historyPageExample = {
  data: [
    {
      version: 1,
      action: 'create' as const,
      actor: EXAMPLE_IDS.key,
      request_id: '0f5b7c1e-8a2d-4e3f-9b6a-1c2d3e4f5a60',
      changed_at: created,
      changes: { title: { from: null, to: incidentExample.title }, status: { from: null, to: 'unverified' } },
      cause: null,
      state: { ...incidentExample, status: 'unverified', version: 1, updated_at: created },
    },
    {
      version: 3,
      action: 'update' as const,
      actor: EXAMPLE_IDS.reviewDesk,
      request_id: '0f5b7c1e-8a2d-4e3f-9b6a-1c2d3e4f5a62',
      changed_at: reviewed,
      changes: { status: { from: 'unverified', to: 'corroborated' } },
      cause: { reason: 'claim reviewed', claim_id: EXAMPLE_IDS.videoClaim },
      state: incidentExample,
    },
  ],
  next_cursor: null,
};

export const changeFeedExample = {
  data: [
    {
      cursor: '41',
      resource_type: 'source' as const,
      resource_id: EXAMPLE_IDS.monitor,
      version: 1,
      action: 'create' as const,
      actor: EXAMPLE_IDS.key,
      changed_at: created,
      state: sourceExample,
    },
    {
      cursor: '42',
      resource_type: 'incident' as const,
      resource_id: EXAMPLE_IDS.mukhtariya,
      version: 3,
      action: 'update' as const,
      actor: EXAMPLE_IDS.reviewDesk,
      changed_at: reviewed,
      state: incidentExample,
    },
  ],
  next_cursor: '42',
};

const sums = (low: number, best: number, high: number) => ({ low, best, high });
const none = sums(0, 0, 0);

export const incidentStatsExample = {
  group_by: 'month' as const,
  data: [
    {
      key: '2025-03',
      incidents: 3,
      casualties: {
        killed: sums(405, 405, 405),
        killed_civilians: sums(305, 305, 305),
        killed_combatants: sums(100, 100, 100),
        injured: none,
        detained: none,
        missing: none,
      },
    },
  ],
};

export const importCsvExample = [
  'event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,tags,timestamp',
  'SYR110002,2025-03-07,2025,1,Political violence,Violence against civilians,Attack,Unidentified Armed Group (Syria),,3,Civilians (Syria),,7,37,Civilian targeting,760,Middle East,Syria,Lattakia,Lattakia,Al-Mukhtariyeh,Al Mukhtariyeh,35.6017,35.8861,1,Syrian Network for Human Rights,National,"On 7 March 2025, armed men entered the village and executed about 40 residents.",40,,1741737600',
  '',
].join('\n');

export const importReportExample = {
  format: 'acled_csv' as const,
  dry_run: false,
  summary: { rows: 2, created: 1, updated: 0, unchanged: 0, rejected: 1 },
  rows: [
    {
      row: 1,
      external_id: { system: 'acled', id: 'SYR110002' },
      outcome: 'created' as const,
      incident_id: EXAMPLE_IDS.mukhtariya,
    },
    {
      row: 2,
      external_id: { system: 'acled', id: 'SYR110003' },
      outcome: 'rejected' as const,
      incident_id: null,
      errors: [{ path: 'event_date', message: 'must be a date, YYYY-MM-DD' }],
    },
  ],
};

export const apiKeyCreateExample = { name: 'Review desk', role: 'verifier' as const };

export const apiKeyExample = {
  id: EXAMPLE_IDS.reviewDesk,
  ...apiKeyCreateExample,
  prefix: 'cbk_Hbw6OYFQ',
  created_by: EXAMPLE_IDS.key,
  created_at: created,
  last_used_at: reviewed,
  revoked_at: null,
};

export const apiKeyCreatedExample = {
  ...apiKeyExample,
  last_used_at: null,
  secret: 'cbk_Hbw6OYFQx2VJ0aQk7mZp3RtY9sLc1WdE5uGhNf8KbTo',
};
