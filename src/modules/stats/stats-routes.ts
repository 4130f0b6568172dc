import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { FIGURES } from '../../domain/vocabulary';
import { seesProtected } from '../../http/access';
import { securedProblems } from '../../http/problems';
import { jsonResponse } from '../../http/responses';
import { filterRefinements, incidentFilterFields } from '../incidents/incident-schemas';
import { incidentStatsExample } from '../demo/demo-examples';
import { createStatsRepository, GROUPINGS } from './stats-repository';

const range = z.object({ low: z.number(), best: z.number(), high: z.number() });

const statsSchema = z
  .object({
    group_by: z.enum(GROUPINGS),
    data: z.array(
      z.object({
        key: z
          .string()
          .nullable()
          .describe('The group: a period (2025-03, 2025-W10, 2025), a code or a name; null when unknown'),
        incidents: z.number().int(),
        casualties: z
          .object(
            Object.fromEntries(FIGURES.map((f) => [f, range])) as Record<
              (typeof FIGURES)[number],
              typeof range
            >,
          )
          .describe('Sums of each incident’s low, best and high estimates; incidents without a figure add 0'),
      }),
    ),
  })
  .meta({ id: 'IncidentStats', examples: [incidentStatsExample] });

const statsQuery = filterRefinements(
  z.object({
    group_by: z
      .enum(GROUPINGS)
      .describe('What to group by; periods are of occurred_from, weeks are ISO weeks'),
    ...incidentFilterFields,
  }),
);

export async function statsRoutes(parent: FastifyInstance, { db }: { db: Db }) {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  const stats = createStatsRepository();
  app.route({
    method: 'GET',
    url: '/v1/stats/incidents',
    config: { access: 'read' },
    schema: {
      operationId: 'getIncidentStats',
      tags: ['stats'],
      summary: 'Count incidents and sum their casualty estimates by group',
      description: 'The same filters as the incident list; one row per group, in key order.',
      querystring: statsQuery,
      response: { 200: jsonResponse(statsSchema, 'One row per group'), ...securedProblems() },
    },
    handler: async (request) => {
      const { group_by: groupBy, ...filters } = request.query;
      const rows = await stats.incidentsBy(db, groupBy, {
        ...filters,
        seesProtected: seesProtected(request),
      });
      return {
        group_by: groupBy,
        data: rows.map((r) => ({
          key: r.key,
          incidents: r.incidents,
          casualties: Object.fromEntries(
            FIGURES.map((f) => [
              f,
              { low: r.sums[`${f}_low`]!, best: r.sums[`${f}_best`]!, high: r.sums[`${f}_high`]! },
            ]),
          ) as Record<(typeof FIGURES)[number], z.infer<typeof range>>,
        })),
      };
    },
  });
}
