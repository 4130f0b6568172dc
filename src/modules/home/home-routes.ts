import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../core/errors';
import { OPENAPI_INFO } from '../../http/openapi';
import { problemResponses } from '../../http/problems';

/** Where a newcomer goes from the landing page: the docs, the document, health, and the demo data. */
const LINKS = [
  { rel: 'docs', href: '/docs', title: 'Interactive documentation: every operation, with examples' },
  { rel: 'openapi', href: '/openapi.json', title: 'The OpenAPI 3.1 document, for generating clients' },
  { rel: 'health', href: '/healthz', title: 'Liveness: the process is up' },
  { rel: 'readiness', href: '/readyz', title: 'Readiness: the database answers' },
  { rel: 'incidents', href: '/v1/incidents', title: 'Incidents, with their status and casualty estimates' },
  { rel: 'sources', href: '/v1/sources', title: 'Sources: who speaks' },
  { rel: 'claims', href: '/v1/claims', title: 'Claims: what each source says about each incident' },
  { rel: 'stats', href: '/v1/stats/incidents?group_by=month', title: 'Incidents and casualties by month' },
  { rel: 'changes', href: '/v1/changes', title: 'Every change, in commit order, for mirroring' },
] as const;

const homeSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    summary: z.string(),
    links: z.array(
      z.object({ rel: z.string(), href: z.string().describe('Relative to this server'), title: z.string() }),
    ),
  })
  .meta({
    id: 'Home',
    examples: [
      {
        name: OPENAPI_INFO.title,
        version: OPENAPI_INFO.version,
        summary: OPENAPI_INFO.summary,
        links: LINKS,
      },
    ],
  });

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function page(): string {
  const item = (l: (typeof LINKS)[number]) =>
    `<li><a href="${escapeHtml(l.href)}" rel="${l.rel}">${escapeHtml(l.href)}</a> ${escapeHtml(l.title)}</li>`;
  const [docs, openapi, health, readiness, ...data] = LINKS;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(OPENAPI_INFO.title)}</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }
h1 { margin-bottom: 0; } .version { color: #666; margin-top: 0; }
code { background: #f2f2f2; padding: 0 .2em; } li { margin: .3rem 0; }
</style>
</head>
<body>
<main>
<h1>${escapeHtml(OPENAPI_INFO.title)}</h1>
<p class="version">version ${escapeHtml(OPENAPI_INFO.version)}</p>
<p>${escapeHtml(OPENAPI_INFO.summary)} Each incident’s status and casualty range are derived from its accepted claims, and every number can be explained.</p>
<h2>Start here</h2>
<ul>${[docs, openapi].map(item).join('')}</ul>
<h2>The data</h2>
<p>A new database holds a demo report: fighting and executions in Latakia province, March 2025, as told by a monitor, a ministry, the state broadcaster, the UN envoy and video footage.</p>
<ul>${data.map(item).join('')}</ul>
<h2>Writing</h2>
<p>Reading needs no key (unless anonymous reading is switched off). Writing needs an API key, sent as <code>Authorization: Bearer cbk_…</code>: the first start of a new database prints an admin key on the server’s console.</p>
<h2>Operations</h2>
<ul>${[health, readiness].map(item).join('')}</ul>
</main>
</body>
</html>
`;
}

/** JSON when the client ranks it above HTML; HTML for browsers and by default; 406 when it accepts neither. */
function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  if (!accept) return false;
  const ranges = accept.split(',').map((part, index) => {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return { type: type.trim(), q: q ? Number(q.slice(2)) : 1, index };
  });
  const rank = (types: string[]) =>
    ranges.filter((r) => types.includes(r.type) && r.q > 0).sort((a, b) => b.q - a.q || a.index - b.index)[0];
  const html = rank(['text/html', 'text/*', '*/*']);
  const json = rank(['application/json', 'application/*']);
  if (!html && !json) {
    throw new AppError(
      'not-acceptable',
      'not-acceptable',
      'This page is available as text/html or application/json.',
    );
  }
  if (!html) return true;
  if (!json) return false;
  // An exact type beats a wildcard at equal quality: `Accept: application/json, */*` asks for JSON.
  const exact = (r: { type: string }) => (r.type.includes('*') ? 0 : 1);
  return json.q > html.q || (json.q === html.q && exact(json) > exact(html));
}

/** GET /: a landing page naming the service and linking the docs, the document, health and the demo data. */
export async function homeRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  const html = page();
  app.route({
    method: 'GET',
    url: '/',
    config: { access: 'public' },
    schema: {
      operationId: 'getHome',
      tags: ['operations'],
      summary: 'What this service is, with links to its docs and data',
      description:
        'An HTML page for people (the default, and what browsers get); JSON with the same links when Accept asks for application/json.',
      response: {
        200: {
          description: 'The landing page',
          content: {
            'text/html': { schema: z.string().meta({ examples: [html] }) },
            'application/json': { schema: homeSchema },
          },
        },
        ...problemResponses(406),
      },
    },
    handler: async (request, reply) => {
      reply.header('vary', 'Accept');
      if (wantsJson(request)) {
        return reply.type('application/json; charset=utf-8').send({
          name: OPENAPI_INFO.title,
          version: OPENAPI_INFO.version,
          summary: OPENAPI_INFO.summary,
          links: [...LINKS],
        });
      }
      return reply.type('text/html; charset=utf-8').serializer(String).send(html);
    },
  });
}
