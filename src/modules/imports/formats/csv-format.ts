import type { ACTOR_ROLES } from '../../../domain/vocabulary';
import type { MappedRow } from '../import-model';

type ActorRole = (typeof ACTOR_ROLES)[number];

/** How one CSV layout is read: the header it needs, and what each row means. */
export interface CsvFormat {
  /** Columns the header must have. */
  required: readonly string[];
  /** When given, the only columns allowed besides the required ones; otherwise other columns are ignored. */
  allowed?: readonly string[];
  mapRow(cells: Record<string, string>, row: number): MappedRow;
}

/** Actors from groups of names sharing a role, in order, each name and role once. */
export function actorsOf(groups: { names: (string | null)[]; role: ActorRole }[]) {
  const seen = new Set<string>();
  const actors: { name: string; role: ActorRole }[] = [];
  for (const { names, role } of groups) {
    for (const name of names) {
      if (name === null || seen.has(`${role}\u0000${name}`)) continue;
      seen.add(`${role}\u0000${name}`);
      actors.push({ name, role });
    }
  }
  return actors;
}
