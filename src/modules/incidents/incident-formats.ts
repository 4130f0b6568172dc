import type { CsvColumn, Representations } from '../../http/formats';
import { FIGURES, type Figure } from '../../domain/vocabulary';
import type { IncidentDto } from './incident-schemas';

const HXL_FIGURES: Record<Figure, string> = {
  killed: '#affected+killed',
  killed_civilians: '#affected+killed+civilians',
  killed_combatants: '#affected+killed+combatants',
  injured: '#affected+injured',
  detained: '#affected+detained',
  missing: '#affected+missing',
};

const column = (name: keyof IncidentDto & string, hxl: string): CsvColumn<IncidentDto> => ({
  name,
  hxl,
  value: (i) => i[name] as string | number | null,
});

/** The stable CSV columns of an incident; casualties are flattened into low/best/high per figure. */
export const INCIDENT_CSV: CsvColumn<IncidentDto>[] = [
  column('id', '#event+id'),
  column('ref', '#event+code'),
  column('title', '#event+name'),
  column('summary', '#description'),
  column('category', '#event+type'),
  column('subcategory', '#event+type+sub'),
  column('occurred_from', '#date+start'),
  column('occurred_to', '#date+end'),
  column('date_precision', '#date+precision'),
  column('country', '#country+code'),
  column('admin1', '#adm1+name'),
  column('admin2', '#adm2+name'),
  column('admin3', '#adm3+name'),
  column('place', '#loc+name'),
  column('latitude', '#geo+lat'),
  column('longitude', '#geo+lon'),
  column('geo_precision', '#geo+precision'),
  column('status', '#status'),
  ...FIGURES.flatMap((figure) =>
    (['low', 'best', 'high'] as const).map((bound): CsvColumn<IncidentDto> => ({
      name: `${figure}_${bound}`,
      hxl: `${HXL_FIGURES[figure]}${bound === 'best' ? '' : bound === 'low' ? '+min' : '+max'}`,
      value: (i) => i.casualties[figure]?.[bound] ?? null,
    })),
  ),
  {
    name: 'actors',
    hxl: '#actor+name',
    value: (i) => i.actors.map((a) => `${a.name} (${a.role})`).join('; '),
  },
  { name: 'tags', hxl: '#meta+tags', value: (i) => i.tags.join('; ') },
  column('parent_id', '#event+id+parent'),
  column('duplicate_of', '#event+id+duplicate'),
  {
    name: 'external_ids',
    hxl: '#meta+id+external',
    value: (i) => i.external_ids.map((e) => `${e.system}:${e.id}`).join('; '),
  },
  { name: 'verification', hxl: '#status+verification', value: (i) => i.verification?.status ?? null },
  column('created_at', '#date+created'),
  column('updated_at', '#date+updated'),
  column('version', '#meta+version'),
  column('deleted_at', '#date+deleted'),
];

export const incidentRepresentations: Representations<IncidentDto> = {
  csv: INCIDENT_CSV,
  feature: (i) => ({
    type: 'Feature',
    id: i.id,
    geometry:
      i.latitude !== null && i.longitude !== null
        ? { type: 'Point', coordinates: [i.longitude, i.latitude] }
        : null,
    properties: i as unknown as Record<string, unknown>,
  }),
};
