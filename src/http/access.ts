import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors';

export const ROLE_ORDER = ['anonymous', 'reader', 'contributor', 'verifier', 'admin'] as const;
export type Role = (typeof ROLE_ORDER)[number];

/** What a route does, declared on every route as `config.access`; the policy maps it to the least role. */
export type Access = 'public' | 'read' | 'contribute' | 'verify' | 'admin';

export const POLICY: Record<Access, Role> = {
  public: 'anonymous',
  read: 'reader',
  contribute: 'contributor',
  verify: 'verifier',
  admin: 'admin',
};

export interface Caller {
  role: Role;
  /** The API key's id, or null for anonymous callers. */
  keyId: string | null;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    caller: Caller;
  }
}

export const atLeast = (role: Role, least: Role) => ROLE_ORDER.indexOf(role) >= ROLE_ORDER.indexOf(least);

/** Passed with list queries: whether the viewer may search the text of protected sources. Absent means no. */
export interface Viewer {
  seesProtected?: boolean;
}

/** Whether the caller may see who protected sources are (contributor and above). */
export const seesProtected = (request: FastifyRequest) => atLeast(request.caller.role, 'contributor');

/** Throws 401 for an anonymous caller and 403 for a key whose role is below `least`. */
export function requireRole(request: FastifyRequest, least: Role, what: string) {
  if (atLeast(request.caller.role, least)) return;
  if (request.caller.keyId === null) {
    throw new AppError(
      'unauthenticated',
      'unauthorized',
      `${what} needs an API key (Authorization: Bearer …) with the ${least} role.`,
    );
  }
  throw new AppError(
    'forbidden',
    'forbidden',
    `${what} needs the ${least} role; this key is ${request.caller.role}.`,
  );
}

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

export interface KeyLookup {
  /** The live key with this secret hash, if any. */
  find(secretHash: string): Promise<{ id: string; role: Exclude<Role, 'anonymous'> } | undefined>;
  touch(id: string): Promise<void>;
}

const KEY_FORMAT = /^cbk_[A-Za-z0-9_-]{43}$/;
const CACHE_MS = 5_000;
const TOUCH_EVERY_MS = 60_000;

/**
 * Authenticates every request (a Bearer API key, or anonymous) and enforces the route's declared access in one
 * place. A route without a declared access is refused: nothing is reachable by omission.
 */
export function registerAccess(app: FastifyInstance, keys: KeyLookup, options: { anonymousRead: boolean }) {
  const cache = new Map<string, { caller: Caller | undefined; until: number }>();
  const touched = new Map<string, number>();
  app.decorateRequest('caller', null as unknown as Caller);

  async function callerFor(secret: string): Promise<Caller | undefined> {
    const hash = hashSecret(secret);
    const cached = cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.caller;
    let key: Awaited<ReturnType<KeyLookup['find']>>;
    try {
      key = await keys.find(hash);
    } catch (err) {
      throw new AppError(
        'unavailable',
        'unavailable',
        'API keys cannot be checked: the database is not reachable; retry later.',
        {
          cause: err,
        },
      );
    }
    const caller = key ? { role: key.role, keyId: key.id } : undefined;
    if (cache.size > 10_000) cache.clear();
    cache.set(hash, { caller, until: Date.now() + CACHE_MS });
    return caller;
  }

  app.decorate('forgetKeys', () => cache.clear());

  app.addHook('onRequest', async (request, reply) => {
    request.caller = { role: 'anonymous', keyId: null };
    if (request.is404) return;
    const access = request.routeOptions.config.access;
    if (access === undefined) {
      throw new AppError('forbidden', 'forbidden', 'This route declares no access policy, so it is closed.');
    }
    // Public routes (health, docs) answer without looking at keys, so they work while the database is down.
    if (access === 'public') return;
    const header = request.headers.authorization;
    if (header !== undefined) {
      // A failed authentication is answered after the rate limit, which counts it against the caller's address
      // as an anonymous request: guessing keys ends in 429 like any other flood (see registerAuthFailures).
      const [scheme, secret, extra] = header.split(' ');
      if (scheme?.toLowerCase() !== 'bearer' || !secret || extra !== undefined || !KEY_FORMAT.test(secret)) {
        request.authFailure = {
          challenge: 'Bearer',
          error: new AppError(
            'unauthenticated',
            'unauthorized',
            'The Authorization header must be `Bearer <API key>`.',
          ),
        };
        return;
      }
      const caller = await callerFor(secret);
      if (!caller) {
        request.authFailure = {
          challenge: 'Bearer error="invalid_token"',
          error: new AppError(
            'unauthenticated',
            'unauthorized',
            'This API key is unknown or has been revoked.',
          ),
        };
        return;
      }
      request.caller = caller;
      const last = touched.get(caller.keyId!) ?? 0;
      if (Date.now() - last > TOUCH_EVERY_MS) {
        touched.set(caller.keyId!, Date.now());
        keys
          .touch(caller.keyId!)
          .catch((err: unknown) => request.log.warn({ err }, 'could not record key use'));
      }
    }
    if (access === 'read' && options.anonymousRead && request.caller.role === 'anonymous') return;
    const least = POLICY[access];
    if (!atLeast(request.caller.role, least)) {
      if (request.caller.keyId === null) reply.header('www-authenticate', 'Bearer');
      requireRole(request, least, `${request.method} ${request.routeOptions.url}`);
    }
  });
}

/**
 * Answers the requests whose authentication failed, once the rate limit (a route-level onRequest hook, which runs
 * after the application's) has counted them, and before their body is read.
 */
export function registerAuthFailures(app: FastifyInstance) {
  app.addHook('preParsing', async (request, reply, payload) => {
    if (!request.authFailure) return payload;
    reply.header('www-authenticate', request.authFailure.challenge);
    throw request.authFailure.error;
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request's credentials were refused; answered 401 after the rate limit counted it. */
    authFailure?: { challenge: string; error: AppError };
  }
  interface FastifyInstance {
    /** Drops cached key lookups, e.g. after a revocation. */
    forgetKeys(): void;
  }
}
