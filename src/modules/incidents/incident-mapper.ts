import { isoOrNull, lifecycleOf } from '../../http/fields';
import type { IncidentRecord } from './incident-repository';
import type { IncidentDto } from './incident-schemas';

export function toIncidentDto(r: IncidentRecord): IncidentDto {
  return {
    id: r.id,
    ref: r.ref,
    title: r.title,
    summary: r.summary,
    category: r.category as IncidentDto['category'],
    subcategory: r.subcategory as IncidentDto['subcategory'],
    occurred_from: r.occurredFrom,
    occurred_to: r.occurredTo,
    date_precision: r.datePrecision as IncidentDto['date_precision'],
    country: r.country,
    admin1: r.admin1,
    admin2: r.admin2,
    admin3: r.admin3,
    place: r.place,
    latitude: r.latitude,
    longitude: r.longitude,
    geo_precision: r.geoPrecision as IncidentDto['geo_precision'],
    actors: r.actors as IncidentDto['actors'],
    tags: r.tags,
    parent_id: r.parentId,
    duplicate_of: r.duplicateOf,
    external_ids: r.externalIds,
    status: r.status as IncidentDto['status'],
    casualties: r.casualties,
    verification: r.verificationStatus
      ? {
          status: r.verificationStatus as 'verified' | 'discredited',
          rationale: r.verificationRationale ?? '',
          verified_by: r.verifiedBy ?? 'anonymous',
          verified_at: isoOrNull(r.verifiedAt)!,
        }
      : null,
    ...lifecycleOf(r),
  };
}
