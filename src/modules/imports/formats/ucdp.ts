import type { IncidentCategory } from '../../../domain/vocabulary';
import type { FieldError } from '../../../core/errors';
import { codeCell, dateCell, decimalCell, integerCell, listCell, textCell } from '../cells';
import { alpha3OfName } from '../countries';
import {
  EVENT_FIELDS,
  validateDraft,
  type ImportedClaim,
  type MappedRow,
  type OwnedField,
} from '../import-model';
import { actorsOf, type CsvFormat } from './csv-format';

export const UCDP_SYSTEM = 'ucdp_ged';

/** UCDP's three types of organised violence; the type is also kept as a tag, since two share a category. */
const VIOLENCE: Record<string, { category: IncidentCategory; tag: string }> = {
  '1': { category: 'battle', tag: 'ucdp:state-based' },
  '2': { category: 'battle', tag: 'ucdp:non-state' },
  '3': { category: 'violence_against_civilians', tag: 'ucdp:one-sided' },
};

/** date_prec: 1 the day, 2 within 2–6 days, 3 the week, 4 the month, 5 the year (the range is in the dates). */
const DATE_PRECISIONS = { '1': 'day', '2': 'week', '3': 'week', '4': 'month', '5': 'year' } as const;

/**
 * where_prec: 1 the exact place, 2 within 25 km of it, 3 the second-order division, 4 the first-order one,
 * 5 a part of the country larger than that (taken as first-order), 6 the country, 7 international waters or
 * airspace (taken as the country).
 */
const GEO_PRECISIONS = {
  '1': 'exact',
  '2': 'near',
  '3': 'admin2',
  '4': 'admin1',
  '5': 'admin1',
  '6': 'country',
  '7': 'country',
} as const;

const COLUMN_OF: Record<string, string> = {
  title: 'dyad_name',
  category: 'type_of_violence',
  occurred_from: 'date_start',
  occurred_to: 'date_end',
  date_precision: 'date_prec',
  admin1: 'adm_1',
  admin2: 'adm_2',
  place: 'where_coordinates',
  geo_precision: 'where_prec',
  actors: 'side_a',
  tags: 'type_of_violence',
  external_ids: 'id',
  statement: 'source_headline',
  published_at: 'source_date',
  killed: 'low/best/high',
  killed_civilians: 'deaths_civilians',
  killed_combatants: 'deaths_a',
  source: 'source_office',
};

// UCDP has no summary, no subcategory and no third-order division: an import leaves those to the database's users.
const UNSTATED: readonly OwnedField[] = ['summary', 'subcategory', 'admin3'];
const OWNED: readonly OwnedField[] = EVENT_FIELDS.filter((field) => !UNSTATED.includes(field));

/**
 * UCDP's low, best and high estimates as three claims of the first source, ranked so the casualty rule gives
 * them back exactly: low and high are the smallest and largest, and best ranks highest (credibility 2 against
 * 3, the same source otherwise), so it is the best estimate.
 */
function estimateClaims(
  sourceName: string,
  figures: { low: number; best: number; high: number; civilians: number | null; combatants: number | null },
  statement: string | null,
  published: string | null,
): ImportedClaim[] {
  const claim = (slot: 'low' | 'best' | 'high', killed: number, credibility: number): ImportedClaim => ({
    sourceName,
    slot,
    statement: slot === 'best' ? statement : null,
    published_at: published,
    killed,
    killed_civilians: slot === 'best' ? figures.civilians : null,
    killed_combatants: slot === 'best' ? figures.combatants : null,
    credibility,
  });
  return [claim('low', figures.low, 3), claim('best', figures.best, 2), claim('high', figures.high, 3)];
}

function mapRow(cells: Record<string, string>, row: number): MappedRow {
  const errors: FieldError[] = [];
  const id = textCell(cells.id);
  if (id === null) errors.push({ path: 'id', message: 'must not be blank: rows are matched by it' });
  const violence = codeCell(cells.type_of_violence, 'type_of_violence', VIOLENCE, errors);
  if (!violence && !errors.some((e) => e.path === 'type_of_violence'))
    errors.push({ path: 'type_of_violence', message: 'must be one of 1, 2, 3' });
  const start = dateCell(cells.date_start, 'date_start', errors);
  const end = dateCell(cells.date_end, 'date_end', errors) ?? start;
  const countryName = textCell(cells.country);
  const country = countryName === null ? undefined : alpha3OfName(countryName);
  if (!country)
    errors.push({
      path: 'country',
      message: `${JSON.stringify(countryName ?? '')} is not a known country name`,
    });

  // In one-sided violence side A is the perpetrator and side B the civilians it targeted.
  const oneSided = violence?.category === 'violence_against_civilians';
  const sideA = textCell(cells.side_a);
  const sideB = textCell(cells.side_b);
  const actors = actorsOf([
    { names: [sideA], role: oneSided ? 'perpetrator' : 'other' },
    { names: [sideB], role: oneSided ? 'target' : 'other' },
  ]);

  const low = integerCell(cells.low, 'low', errors);
  const best = integerCell(cells.best, 'best', errors);
  const high = integerCell(cells.high, 'high', errors);
  if (low === null || best === null || high === null) {
    for (const [column, value] of [
      ['low', low],
      ['best', best],
      ['high', high],
    ] as const)
      if (value === null && !errors.some((e) => e.path === column))
        errors.push({ path: column, message: 'must not be blank' });
  } else if (!(low <= best && best <= high)) {
    errors.push({
      path: 'best',
      message: `low ≤ best ≤ high must hold; the row has ${low}, ${best}, ${high}`,
    });
  }
  const deathsA = integerCell(cells.deaths_a, 'deaths_a', errors);
  const deathsB = integerCell(cells.deaths_b, 'deaths_b', errors);
  const civilians = integerCell(cells.deaths_civilians, 'deaths_civilians', errors);

  const sources = [...new Set([...listCell(cells.source_office), ...listCell(cells.source_original)])];
  if (sources.length === 0)
    errors.push({
      path: 'source_office',
      message: 'must name at least one source (or source_original must)',
    });
  const sourceDates = listCell(cells.source_date);
  const published = sourceDates.length ? dateCell(sourceDates[0], 'source_date', errors) : null;
  const statement = textCell(cells.source_headline) ?? textCell(cells.source_article);
  const claims: ImportedClaim[] = [];
  if (sources.length && low !== null && best !== null && high !== null) {
    const combatants = deathsA !== null && deathsB !== null ? deathsA + deathsB : null;
    claims.push(
      ...estimateClaims(
        sources[0]!,
        { low, best, high, civilians, combatants },
        statement,
        published && `${published}T00:00:00.000Z`,
      ),
    );
    // Every further source reported the event too, without a figure of its own in the dataset.
    for (const sourceName of sources.slice(1)) {
      claims.push({
        sourceName,
        slot: 'report',
        statement: null,
        published_at: published && `${published}T00:00:00.000Z`,
        killed: null,
        killed_civilians: null,
        killed_combatants: null,
        credibility: 6,
      });
    }
  }

  const place = textCell(cells.where_coordinates);
  const dyad = textCell(cells.dyad_name) ?? [sideA, sideB].filter(Boolean).join(' – ');
  const incident = {
    title: `${dyad || 'Organised violence'}${place ? ` in ${place}` : countryName ? ` in ${countryName}` : ''}`,
    category: violence?.category,
    occurred_from: start ?? undefined,
    occurred_to: end ?? undefined,
    date_precision: codeCell(cells.date_prec, 'date_prec', DATE_PRECISIONS, errors) ?? 'day',
    country: country ?? null,
    admin1: textCell(cells.adm_1),
    admin2: textCell(cells.adm_2),
    place,
    latitude: decimalCell(cells.latitude, 'latitude', errors),
    longitude: decimalCell(cells.longitude, 'longitude', errors),
    geo_precision: codeCell(cells.where_prec, 'where_prec', GEO_PRECISIONS, errors),
    actors,
    tags: violence ? [violence.tag] : [],
    external_ids: id === null ? [] : [{ system: UCDP_SYSTEM, id }],
  };
  const key = id === null ? null : { system: UCDP_SYSTEM, id };
  return validateDraft(
    { row, key, incident, owned: OWNED, claims },
    (field) => COLUMN_OF[field] ?? field,
    errors,
  );
}

/** UCDP's Georeferenced Event Dataset (https://ucdp.uu.se/), one event per row; other columns are ignored. */
export const ucdpFormat: CsvFormat = {
  required: [
    'id',
    'type_of_violence',
    'side_a',
    'side_b',
    'country',
    'date_start',
    'date_end',
    'date_prec',
    'where_prec',
    'best',
    'high',
    'low',
  ],
  mapRow,
};
