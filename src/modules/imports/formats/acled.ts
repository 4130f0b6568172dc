import type { FieldError } from '../../../core/errors';
import type { IncidentCategory } from '../../../domain/vocabulary';
import { asTag, codeCell, dateCell, decimalCell, integerCell, listCell, textCell } from '../cells';
import { alpha3OfName, alpha3OfNumeric } from '../countries';
import { EVENT_FIELDS, validateDraft, type ImportedClaim, type MappedRow } from '../import-model';
import { actorsOf, type CsvFormat } from './csv-format';

export const ACLED_SYSTEM = 'acled';

const CATEGORIES: Record<string, IncidentCategory> = {
  battles: 'battle',
  'explosions/remote violence': 'explosion_remote_violence',
  'violence against civilians': 'violence_against_civilians',
  protests: 'protest',
  riots: 'riot',
  'strategic developments': 'strategic_development',
};

/** ACLED sub-event types that have a subcategory of their own; every other one is `other`. */
const SUBCATEGORIES: Record<string, string> = {
  'armed clash': 'armed_clash',
  'air/drone strike': 'air_strike',
  'shelling/artillery/missile attack': 'shelling',
  attack: 'attack',
  'abduction/forced disappearance': 'abduction',
  'sexual violence': 'sexual_violence',
};

const DATE_PRECISIONS = { '1': 'day', '2': 'week', '3': 'month' } as const;
const GEO_PRECISIONS = { '1': 'exact', '2': 'near', '3': 'admin1' } as const;

/** Where each incident field comes from, so that errors name the column. */
const COLUMN_OF: Record<string, string> = {
  title: 'sub_event_type',
  summary: 'notes',
  category: 'event_type',
  subcategory: 'sub_event_type',
  occurred_from: 'event_date',
  occurred_to: 'event_date',
  date_precision: 'time_precision',
  country: 'iso',
  place: 'location',
  external_ids: 'event_id_cnty',
  killed: 'fatalities',
  published_at: 'timestamp',
};

function countryOf(iso: string | undefined, name: string | undefined, errors: FieldError[]): string | null {
  const numeric = textCell(iso);
  if (numeric !== null && /^\d+$/.test(numeric)) {
    const code = alpha3OfNumeric(Number(numeric));
    if (code) return code;
  }
  const byName = textCell(name);
  const code = byName === null ? undefined : alpha3OfName(byName);
  if (code) return code;
  errors.push({
    path: 'iso',
    message: `${numeric ?? '(blank)'} is not an ISO 3166-1 numeric code, and country ${JSON.stringify(byName ?? '')} is not a known country name`,
  });
  return null;
}

/** ACLED's `timestamp` (seconds since 1970) is when ACLED last changed the event: the claims' published_at. */
function publishedAt(value: string | undefined, errors: FieldError[]): string | null {
  const seconds = integerCell(value, 'timestamp', errors);
  if (seconds === null) return null;
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) {
    errors.push({ path: 'timestamp', message: 'must be seconds since 1970-01-01' });
    return null;
  }
  return date.toISOString();
}

function mapRow(cells: Record<string, string>, row: number): MappedRow {
  const errors: FieldError[] = [];
  const id = textCell(cells.event_id_cnty);
  if (id === null)
    errors.push({ path: 'event_id_cnty', message: 'must not be blank: rows are matched by it' });

  const eventType = textCell(cells.event_type);
  const category = eventType === null ? undefined : CATEGORIES[eventType.toLowerCase()];
  if (!category) {
    errors.push({
      path: 'event_type',
      message: `must be one of ${['Battles', 'Explosions/Remote violence', 'Violence against civilians', 'Protests', 'Riots', 'Strategic developments'].join(', ')}`,
    });
  }
  const subEventType = textCell(cells.sub_event_type);
  const date = dateCell(cells.event_date, 'event_date', errors);
  const location = textCell(cells.location);
  const country = countryOf(cells.iso, cells.country, errors);

  // In violence against civilians ACLED's first actor is the perpetrator and the second the victim.
  const targeted = category === 'violence_against_civilians';
  const actors = actorsOf([
    {
      names: [textCell(cells.actor1), ...listCell(cells.assoc_actor_1)],
      role: targeted ? 'perpetrator' : 'other',
    },
    {
      names: [textCell(cells.actor2), ...listCell(cells.assoc_actor_2)],
      role: targeted ? 'target' : 'other',
    },
  ]);
  const tags = [
    ...listCell(cells.tags).map(asTag),
    textCell(cells.civilian_targeting) === null ? null : 'civilian_targeting',
  ].filter((t): t is string => t !== null);

  const sources = listCell(cells.source);
  if (sources.length === 0) errors.push({ path: 'source', message: 'must name at least one source' });
  const fatalities = integerCell(cells.fatalities, 'fatalities', errors);
  const published = publishedAt(cells.timestamp, errors);
  // The first source carries ACLED's fatality count; every further source reported the event too.
  const claims: ImportedClaim[] = sources.map((sourceName, index) => ({
    sourceName,
    slot: 'report',
    statement: null,
    published_at: published,
    killed: index === 0 ? fatalities : null,
    killed_civilians: null,
    killed_combatants: null,
    credibility: 6,
  }));

  const incident = {
    title: `${subEventType ?? eventType ?? 'Event'} in ${location ?? textCell(cells.country) ?? 'an unknown place'}`,
    summary: textCell(cells.notes),
    category,
    subcategory: subEventType === null ? null : (SUBCATEGORIES[subEventType.toLowerCase()] ?? 'other'),
    occurred_from: date ?? undefined,
    occurred_to: date ?? undefined,
    date_precision: codeCell(cells.time_precision, 'time_precision', DATE_PRECISIONS, errors) ?? 'day',
    country,
    admin1: textCell(cells.admin1),
    admin2: textCell(cells.admin2),
    admin3: textCell(cells.admin3),
    place: location,
    latitude: decimalCell(cells.latitude, 'latitude', errors),
    longitude: decimalCell(cells.longitude, 'longitude', errors),
    geo_precision: codeCell(cells.geo_precision, 'geo_precision', GEO_PRECISIONS, errors),
    actors,
    tags: [...new Set(tags)],
    external_ids: id === null ? [] : [{ system: ACLED_SYSTEM, id }],
  };
  const key = id === null ? null : { system: ACLED_SYSTEM, id };
  return validateDraft(
    { row, key, incident, owned: EVENT_FIELDS, claims },
    (field) => COLUMN_OF[field] ?? field,
    errors,
  );
}

/** ACLED's event export (https://acleddata.com/), one event per row; columns not read here are ignored. */
export const acledFormat: CsvFormat = {
  required: [
    'event_id_cnty',
    'event_date',
    'event_type',
    'sub_event_type',
    'actor1',
    'actor2',
    'country',
    'location',
    'latitude',
    'longitude',
    'source',
    'fatalities',
  ],
  mapRow,
};
