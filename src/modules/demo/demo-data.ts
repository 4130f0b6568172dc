import type { Services } from '../../services';

/**
 * The report that motivates the data model (SPEC §1): two days of fighting in Latakia province in March 2025,
 * as told by a monitor, the interior ministry, the state broadcaster, the UN envoy and video evidence.
 * Loaded through the services, so the derived status and casualties are computed as for any other data.
 */
export async function loadDemoData({ sources, incidents, claims }: Services) {
  const monitor = await sources.create({
    name: 'Syrian Network for Human Rights',
    acronym: 'SNHR',
    kind: 'monitor',
    url: 'https://snhr.org/',
    country: 'SYR',
    independence_group: 'snhr',
    reliability: 'B',
    party_to_conflict: false,
    protected: false,
    notes: 'Independent monitor documenting casualties in Syria since 2011.',
  });
  const ministry = await sources.create({
    name: 'Ministry of Interior of the Syrian Arab Republic',
    kind: 'government',
    country: 'SYR',
    independence_group: 'syrian-government',
    reliability: 'D',
    party_to_conflict: true,
    protected: false,
    notes: 'Party to the conflict.',
  });
  const broadcaster = await sources.create({
    name: 'Syrian Arab News Agency',
    acronym: 'SANA',
    kind: 'state_media',
    url: 'https://sana.sy/',
    country: 'SYR',
    // Not independent of the ministry: the state broadcaster shares its group.
    independence_group: 'syrian-government',
    reliability: 'D',
    party_to_conflict: false,
    protected: false,
  });
  const envoy = await sources.create({
    name: 'UN Special Envoy for Syria',
    kind: 'intergovernmental',
    independence_group: 'united-nations',
    reliability: 'B',
    party_to_conflict: false,
    protected: false,
  });
  const video = await sources.create({
    name: 'Videos circulated from al-Mukhtariya',
    kind: 'social_media',
    country: 'SYR',
    reliability: 'F',
    party_to_conflict: false,
    protected: true,
    notes: 'Footage showing the bodies; uploaders are not named to protect them.',
  });

  const battle = await incidents.create({
    title: 'Fighting in Latakia province after loyalist ambush on security forces',
    summary:
      'Loyalists of the ousted president ambushed security forces on Thursday 6 March 2025; two days of fighting and killings followed across Latakia province.',
    category: 'battle',
    subcategory: 'armed_clash',
    occurred_from: '2025-03-06',
    occurred_to: '2025-03-07',
    date_precision: 'day',
    country: 'SYR',
    admin1: 'Latakia',
    geo_precision: 'admin1',
    actors: [
      { name: 'Loyalists of the former government', role: 'perpetrator' },
      { name: 'Syrian security forces', role: 'target' },
    ],
    tags: ['coastal-violence-2025'],
    external_ids: [],
  });
  const executions = await incidents.create({
    title: 'Field executions of civilians in Latakia province',
    summary: 'About 125 civilians reported executed during the two days of fighting.',
    category: 'violence_against_civilians',
    subcategory: 'execution',
    occurred_from: '2025-03-06',
    occurred_to: '2025-03-07',
    date_precision: 'day',
    country: 'SYR',
    admin1: 'Latakia',
    geo_precision: 'admin1',
    parent_id: battle.id,
    actors: [{ name: 'Civilians', role: 'target' }],
    tags: ['coastal-violence-2025'],
    external_ids: [],
  });
  const mukhtariya = await incidents.create({
    title: 'Mass killing of civilians in al-Mukhtariya',
    summary: 'About 40 civilians executed together in the village; videos show the bodies.',
    category: 'violence_against_civilians',
    subcategory: 'mass_killing',
    occurred_from: '2025-03-06',
    occurred_to: '2025-03-07',
    date_precision: 'day',
    country: 'SYR',
    admin1: 'Latakia',
    place: 'al-Mukhtariya',
    geo_precision: 'admin1',
    parent_id: battle.id,
    actors: [{ name: 'Civilians', role: 'target' }],
    tags: ['coastal-violence-2025'],
    external_ids: [],
  });

  const base = { figures_are_minimum: false, credibility: 6, stance: 'supports' as const };
  await claims.create({
    ...base,
    incident_id: battle.id,
    source_id: monitor.id,
    statement:
      'At least 240 people killed since Thursday, including 100 members of the security forces and 15 civilians killed by loyalists, besides some 125 civilians executed.',
    language: 'en',
    published_at: '2025-03-07T18:00:00Z',
    killed: 240,
    killed_combatants: 100,
    killed_civilians: 140,
    figures_are_minimum: true,
    credibility: 2,
    review_status: 'accepted',
    review_note: 'Civilians: 125 executed plus 15 killed by loyalists.',
  });
  await claims.create({
    ...base,
    incident_id: battle.id,
    source_id: broadcaster.id,
    statement: 'Remnants of the former regime ambushed security forces in the Latakia countryside.',
    language: 'en',
    published_at: '2025-03-06T20:00:00Z',
    credibility: 3,
    review_status: 'accepted',
  });
  await claims.create({
    ...base,
    incident_id: battle.id,
    source_id: envoy.id,
    statement: 'The Special Envoy calls on all parties to exercise restraint and to protect civilians.',
    language: 'en',
    published_at: '2025-03-07T12:00:00Z',
    credibility: 2,
    review_status: 'accepted',
  });
  await claims.create({
    ...base,
    incident_id: executions.id,
    source_id: monitor.id,
    statement: 'Some 125 civilians were executed in two days of fighting in Latakia province.',
    language: 'en',
    published_at: '2025-03-07T18:00:00Z',
    killed: 125,
    killed_civilians: 125,
    credibility: 2,
    review_status: 'accepted',
  });
  await claims.create({
    ...base,
    incident_id: executions.id,
    source_id: ministry.id,
    stance: 'contradicts',
    statement: 'There were individual violations; the ministry bears no responsibility for them.',
    language: 'en',
    published_at: '2025-03-08T10:00:00Z',
    credibility: 4,
    review_status: 'pending',
    review_note: 'Party to the conflict; awaiting review.',
  });
  await claims.create({
    ...base,
    incident_id: mukhtariya.id,
    source_id: monitor.id,
    statement: 'About 40 civilians were executed together in al-Mukhtariya.',
    language: 'en',
    published_at: '2025-03-07T18:00:00Z',
    killed: 40,
    killed_civilians: 40,
    credibility: 2,
    review_status: 'accepted',
  });
  await claims.create({
    ...base,
    incident_id: mukhtariya.id,
    source_id: video.id,
    statement: 'Videos show the bodies of those killed lying together.',
    published_at: '2025-03-07T09:00:00Z',
    credibility: 3,
    review_status: 'accepted',
  });

  return {
    sources: { monitor, ministry, broadcaster, envoy, video },
    incidents: { battle, executions, mukhtariya },
  };
}
