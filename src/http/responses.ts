import type { z } from 'zod';

/** A JSON success response with the description the OpenAPI document shows for it. */
export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
