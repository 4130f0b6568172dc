import type { FastifyInstance } from 'fastify';
import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The query parameters the route takes, for the answer to one it does not (see `registerStrictQueries`). */
    queryParameters?: string[];
  }
}

/** Routes that serve files rather than data: the docs UI. */
const isDocsUi = (url: string) => url === '/docs' || url.startsWith('/docs/');

/**
 * A query parameter a route does not take is refused with 400, as an unknown body field is, rather than ignored:
 * a misspelt filter (`?contry=SYR`) would otherwise answer the whole list, and `as_of` on a list the live data.
 * Every route's querystring schema is made strict here, and a route without one gets an empty strict schema, so
 * no route can forget it. The CORS preflight (any path, any query) and the docs UI's files are left alone.
 */
export function registerStrictQueries(app: FastifyInstance) {
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    if (methods.includes('OPTIONS') || isDocsUi(route.url)) return;
    const schema = route.schema ?? {};
    const declared = schema.querystring as z.ZodType | undefined;
    if (declared !== undefined && !(declared instanceof z.ZodObject)) {
      throw new Error(`${methods.join(',')} ${route.url}: a querystring schema must be a zod object`);
    }
    const strict = declared ? declared.strict() : z.strictObject({});
    route.schema = { ...schema, querystring: strict };
    route.config = { ...route.config, queryParameters: Object.keys(strict.shape) };
  });
}

/** What the answer says of an unknown query parameter: the closest name the route takes, or the names it takes. */
export function unknownQueryParameter(name: string, known: readonly string[] | undefined): string {
  if (name === 'as_of') {
    return 'Unknown query parameter "as_of": only reads of one record (GET /v1/{resource}/{id}) answer as of a time.';
  }
  if (!known?.length) return `Unknown query parameter "${name}": this route takes no query parameters.`;
  const nearest = closest(name, [...known]);
  // A typo is a few letters off; anything further is not the parameter the client meant.
  if (distance(name, nearest) <= Math.max(2, Math.floor(nearest.length / 3))) {
    return `Unknown query parameter "${name}": did you mean "${nearest}"?`;
  }
  return `Unknown query parameter "${name}": this route takes ${known.join(', ')}.`;
}
