import { z } from 'zod';

const boolean = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A whole number written in decimal digits, within bounds (no hex, exponents or spaces). */
const wholeNumber = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .default(String(fallback))
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`);

const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), { message: 'must be a postgres:// or postgresql:// URL' })
  .optional();

/** The environment the service reads, validated once at start. */
export const configSchema = z.object({
  PORT: wholeNumber(0, 65535, 3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: postgresUrl,
  DATA_DIR: z.string().min(1).default('./data'),
  DB_POOL_MAX: wholeNumber(1, 1000, 20),
  // A query running longer is cancelled by the server and answered 503, rather than holding a connection.
  STATEMENT_TIMEOUT_MS: wholeNumber(0, 3_600_000, 30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DEMO_DATA: boolean(true),
  BODY_LIMIT: wholeNumber(1024, 64 * 1024 * 1024, 1024 * 1024),
  // Imports are read as they arrive, so their limit is far larger than that of JSON bodies.
  IMPORT_BODY_LIMIT: wholeNumber(1024, 64 * 1024 ** 3, 512 * 1024 * 1024),
  SHUTDOWN_TIMEOUT_MS: wholeNumber(0, 600_000, 10_000),
  // Above this mean event-loop delay the process is overloaded and sheds requests with 503; 0 turns it off.
  MAX_EVENT_LOOP_DELAY_MS: wholeNumber(0, 60_000, 1000),
  ADMIN_API_KEY: z
    .string()
    .regex(
      /^cbk_[A-Za-z0-9_-]{43}$/,
      'must be a key as `npm run keys -- new` prints it (cbk_ and 43 characters)',
    )
    .optional(),
  ANONYMOUS_READ: boolean(true),
  RATE_LIMIT_PER_MINUTE: wholeNumber(1, 1_000_000, 1200),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: wholeNumber(1, 1_000_000, 300),
  TRUST_PROXY: boolean(false),
  CORS_ORIGINS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z.union([
          z.literal('*'),
          z.url({ protocol: /^https?$/, message: 'must be * or origins like https://partner.example' }),
        ]),
      ),
    )
    .default([])
    .describe('Comma-separated browser origins allowed to call the API; * for any; empty for none'),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; blank values count as unset so `FOO=` falls back to the default. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') input[key] = value;
  }
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.');
        return `${name}=${JSON.stringify(input[name] ?? '')}: ${issue.message}`;
      }),
    );
  }
  return parsed.data;
}
