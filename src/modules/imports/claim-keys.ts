import { createHash } from 'node:crypto';
import type { ClaimSlot, ExternalId } from './import-model';

// The name space of claim ids made by imports (RFC 9562 §5.5); any fixed UUID serves, this one is ours.
const NAMESPACE = Buffer.from('5b1c2e8a94d34f0c8e6a2f7d41c9b0e3', 'hex');

export const CLAIM_SLOTS: readonly ClaimSlot[] = ['report', 'low', 'best', 'high'];

/**
 * The id of a claim an import makes: a name-based UUID (version 5) of the incident, the row's external id, the
 * source and the slot. A re-import computes the same id and so finds the claim again instead of adding a
 * second one; claims made through the API have random (version 4) ids and are never taken for imported ones.
 */
export function importedClaimId(
  incidentId: string,
  key: ExternalId,
  sourceId: string,
  slot: ClaimSlot,
): string {
  const hash = createHash('sha1')
    .update(NAMESPACE)
    .update(`${incidentId}/${key.system}:${key.id}/${sourceId}/${slot}`)
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Whether a claim of this incident is one the import of `key` made (in any slot). */
export function isImportedClaim(
  claim: { id: string; sourceId: string },
  incidentId: string,
  key: ExternalId,
): boolean {
  if (claim.id[14] !== '5') return false;
  return CLAIM_SLOTS.some((slot) => importedClaimId(incidentId, key, claim.sourceId, slot) === claim.id);
}
