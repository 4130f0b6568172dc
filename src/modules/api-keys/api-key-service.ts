import { randomBytes } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { readTogether, type Db, type Executor } from '../../db/client';
import { allOf, byCreation, keyset, type Page } from '../../core/paging';
import { apiKeys, type ApiKeyRow } from '../../db/schema';
import { hashSecret, type KeyLookup } from '../../http/access';
import { iso, isoOrNull } from '../../http/fields';
import { ConflictError, NotFoundError } from '../../core/errors';
import type { WriteKernel, WriteOptions } from '../../core/write';
import type { ApiKeyCreate, ApiKeyDto, ApiKeyListQuery } from './api-key-schemas';

export const toApiKeyDto = (r: ApiKeyRow): ApiKeyDto => ({
  id: r.id,
  name: r.name,
  role: r.role as ApiKeyDto['role'],
  prefix: r.prefix,
  created_by: r.createdBy,
  created_at: iso(r.createdAt),
  last_used_at: isoOrNull(r.lastUsedAt),
  revoked_at: isoOrNull(r.revokedAt),
});

/** A new secret: 256 random bits, with a recognisable prefix so that leaked keys can be found by scanners. */
export const newSecret = () => `cbk_${randomBytes(32).toString('base64url')}`;

export function createApiKeyService({ db, kernel }: { db: Db; kernel: WriteKernel }) {
  return {
    /**
     * A new key. The secret is in the result only: the database keeps its hash, and an idempotent retry is given
     * the key without it (see the route).
     */
    async create(input: ApiKeyCreate, options: WriteOptions = {}, secret = newSecret()) {
      return kernel.run(options, async ({ tx, context }) => {
        const [row] = await tx
          .insert(apiKeys)
          .values({
            name: input.name,
            role: input.role,
            prefix: secret.slice(0, 12),
            secretHash: hashSecret(secret),
            createdBy: context.actor,
          })
          .returning();
        return { ...toApiKeyDto(row!), secret };
      });
    },

    /** Makes sure a key with this secret exists with the admin role (for ADMIN_API_KEY); never duplicates it. */
    async ensureAdmin(secret: string) {
      await db
        .insert(apiKeys)
        .values({
          name: 'ADMIN_API_KEY',
          role: 'admin',
          prefix: secret.slice(0, 12),
          secretHash: hashSecret(secret),
          createdBy: 'system',
        })
        .onConflictDoNothing();
    },

    /**
     * The first start's admin key: created, and returned with its secret, only when the database holds no key at
     * all (revoked ones included), so that a fresh install can be written to at once. The table is locked while
     * it is checked, so that instances starting together on one server create one key between them.
     */
    async createFirstAdmin(): Promise<(ApiKeyDto & { secret: string }) | undefined> {
      return db.transaction(async (tx) => {
        await tx.execute(sql`LOCK TABLE ${apiKeys} IN SHARE ROW EXCLUSIVE MODE`);
        const [any] = await tx.select({ id: apiKeys.id }).from(apiKeys).limit(1);
        if (any) return undefined;
        const secret = newSecret();
        const [row] = await tx
          .insert(apiKeys)
          .values({
            name: 'first admin key',
            role: 'admin',
            prefix: secret.slice(0, 12),
            secretHash: hashSecret(secret),
            createdBy: 'system',
          })
          .returning();
        return { ...toApiKeyDto(row!), secret };
      });
    },

    /** Revokes a live key; never the last live admin key, without which nobody could manage keys again. */
    async revoke(id: string, options: WriteOptions = {}): Promise<void> {
      await kernel.run(options, async ({ tx }) => {
        // The live admin keys are locked, so that two revocations at once cannot both leave none.
        const admins = await tx
          .select({ id: apiKeys.id })
          .from(apiKeys)
          .where(and(eq(apiKeys.role, 'admin'), isNull(apiKeys.revokedAt)))
          .for('update');
        if (admins.length === 1 && admins[0]!.id === id) {
          throw new ConflictError(
            'This is the last live admin key: create another admin key before revoking it.',
            'last_admin_key',
          );
        }
        const [row] = await tx
          .update(apiKeys)
          .set({ revokedAt: sql`now()` })
          .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
          .returning({ id: apiKeys.id });
        if (!row) throw new NotFoundError('live API key', id);
      });
    },

    async list(query: ApiKeyListQuery): Promise<Page<ApiKeyDto>> {
      const page = keyset('created_at', byCreation(apiKeys.createdAt, apiKeys.id), query.cursor, query.limit);
      const live = query.include_revoked ? undefined : isNull(apiKeys.revokedAt);
      const read = async (tx: Executor) => {
        const rows = await tx
          .select()
          .from(apiKeys)
          .where(allOf(live, page.after))
          .orderBy(...page.orderBy)
          .limit(page.fetch);
        const { rows: pageRows, nextCursor } = page.page(rows, (r) => [r.createdAt, r.id]);
        return { data: pageRows.map(toApiKeyDto), nextCursor };
      };
      if (!query.count) return read(db);
      return readTogether(db, async (tx) => {
        const [row] = await tx
          .select({ n: sql<number>`count(*)::int` })
          .from(apiKeys)
          .where(allOf(live));
        return { ...(await read(tx)), total: row!.n };
      });
    },

    /** The lookup the access hook uses. */
    lookup(): KeyLookup {
      return {
        async find(secretHash) {
          const [row] = await db
            .select({ id: apiKeys.id, role: apiKeys.role })
            .from(apiKeys)
            .where(and(eq(apiKeys.secretHash, secretHash), isNull(apiKeys.revokedAt)));
          return row ? { id: row.id, role: row.role as 'reader' } : undefined;
        },
        async touch(id) {
          await db
            .update(apiKeys)
            .set({ lastUsedAt: sql`now()` })
            .where(eq(apiKeys.id, id));
        },
      };
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
