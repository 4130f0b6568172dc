import { z } from 'zod';

/** RFC 7946 FeatureCollection of point features whose properties are the records themselves. */
export const featureCollectionSchema = <T extends z.ZodType>(properties: T) =>
  z.object({
    type: z.literal('FeatureCollection'),
    features: z.array(
      z.object({
        type: z.literal('Feature'),
        id: z.string(),
        geometry: z
          .object({
            type: z.literal('Point'),
            coordinates: z.tuple([z.number(), z.number()]).describe('[longitude, latitude]'),
          })
          .nullable()
          .describe('null when the record has no coordinates'),
        properties,
      }),
    ),
    next_cursor: z.string().nullable().optional().describe('Foreign member: the cursor of the next page'),
    total: z
      .number()
      .int()
      .optional()
      .describe('Foreign member, with count=true: how many records the filters select'),
  });
