/** Controlled vocabularies of the data model (SPEC §2); the database CHECKs and the API schemas both use them. */

export const SOURCE_KINDS = [
  'monitor',
  'ngo',
  'news_media',
  'state_media',
  'government',
  'intergovernmental',
  'armed_group',
  'witness',
  'social_media',
  'other',
] as const;

/** Admiralty source reliability: A completely reliable … E unreliable, F cannot be judged. */
export const RELIABILITY_GRADES = ['A', 'B', 'C', 'D', 'E', 'F'] as const;

export const INCIDENT_CATEGORIES = [
  'battle',
  'explosion_remote_violence',
  'violence_against_civilians',
  'protest',
  'riot',
  'strategic_development',
] as const;

export const INCIDENT_SUBCATEGORIES = [
  'mass_killing',
  'execution',
  'attack',
  'abduction',
  'sexual_violence',
  'armed_clash',
  'air_strike',
  'drone_strike',
  'shelling',
  'other',
] as const;

export const DATE_PRECISIONS = ['day', 'week', 'month', 'year'] as const;

export const GEO_PRECISIONS = ['exact', 'near', 'admin3', 'admin2', 'admin1', 'country'] as const;

export const ACTOR_ROLES = ['perpetrator', 'target', 'other'] as const;

export const INCIDENT_STATUSES = [
  'unverified',
  'corroborated',
  'disputed',
  'verified',
  'discredited',
] as const;

export const CLAIM_STANCES = ['supports', 'contradicts'] as const;

export const REVIEW_STATUSES = ['pending', 'accepted', 'rejected'] as const;

/** The casualty figures a claim may state. */
export const FIGURES = [
  'killed',
  'killed_civilians',
  'killed_combatants',
  'injured',
  'detained',
  'missing',
] as const;

export type SourceKind = (typeof SOURCE_KINDS)[number];
export type ReliabilityGrade = (typeof RELIABILITY_GRADES)[number];
export type IncidentCategory = (typeof INCIDENT_CATEGORIES)[number];
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
export type ClaimStance = (typeof CLAIM_STANCES)[number];
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];
export type Figure = (typeof FIGURES)[number];
