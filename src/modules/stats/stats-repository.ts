import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client';
import type { Viewer } from '../../http/access';
import { allOf } from '../../core/paging';
import { incidents } from '../../db/schema';
import { FIGURES } from '../../domain/vocabulary';
import { incidentConditions } from '../incidents/incident-repository';
import type { IncidentFilters } from '../incidents/incident-schemas';

export const GROUPINGS = [
  'month',
  'week',
  'year',
  'country',
  'admin1',
  'category',
  'subcategory',
  'status',
] as const;
export type Grouping = (typeof GROUPINGS)[number];

/** The group key of each grouping; periods are those of occurred_from (ISO weeks). */
const KEYS: Record<Grouping, SQL> = {
  month: sql`to_char(${incidents.occurredFrom}, 'YYYY-MM')`,
  week: sql`to_char(${incidents.occurredFrom}, 'IYYY-"W"IW')`,
  year: sql`to_char(${incidents.occurredFrom}, 'YYYY')`,
  country: sql`${incidents.country}`,
  admin1: sql`${incidents.admin1}`,
  category: sql`${incidents.category}`,
  subcategory: sql`${incidents.subcategory}`,
  status: sql`${incidents.status}`,
};

const BOUNDS = ['low', 'best', 'high'] as const;

export interface GroupRow {
  key: string | null;
  incidents: number;
  sums: Record<string, number>;
}

export function createStatsRepository() {
  return {
    async incidentsBy(
      db: Executor,
      grouping: Grouping,
      filters: IncidentFilters & Viewer,
    ): Promise<GroupRow[]> {
      const key = KEYS[grouping];
      const sums = Object.fromEntries(
        FIGURES.flatMap((figure) =>
          BOUNDS.map((bound) => [
            `${figure}_${bound}`,
            sql<number>`coalesce(sum((${incidents.casualties} -> ${figure} ->> ${bound})::bigint), 0)::float8`.mapWith(
              Number,
            ),
          ]),
        ),
      );
      const rows = await db
        .select({
          key: sql<string | null>`${key}`,
          incidents: sql<number>`count(*)::int`.mapWith(Number),
          ...sums,
        })
        .from(incidents)
        .where(allOf(...incidentConditions(filters)))
        .groupBy(key)
        .orderBy(sql`${key} NULLS LAST`);
      return rows.map(({ key: k, incidents: count, ...rest }) => ({
        key: k as string | null,
        incidents: count as number,
        sums: rest as Record<string, number>,
      }));
    },
  };
}
