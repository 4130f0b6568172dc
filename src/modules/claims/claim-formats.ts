import type { CsvColumn, Representations } from '../../http/formats';
import type { ClaimDto } from './claim-schemas';

const column = (name: keyof ClaimDto & string, hxl: string): CsvColumn<ClaimDto> => ({
  name,
  hxl,
  value: (c) => c[name],
});

export const claimRepresentations: Representations<ClaimDto> = {
  csv: [
    column('id', '#meta+id'),
    column('incident_id', '#event+id'),
    column('source_id', '#org+id'),
    column('stance', '#meta+stance'),
    column('statement', '#description'),
    column('language', '#meta+lang'),
    column('translation', '#description+translated'),
    column('published_at', '#date+reported'),
    column('url', '#meta+url'),
    column('archived_url', '#meta+url+archive'),
    column('content_sha256', '#meta+hash'),
    column('killed', '#affected+killed'),
    column('killed_civilians', '#affected+killed+civilians'),
    column('killed_combatants', '#affected+killed+combatants'),
    column('injured', '#affected+injured'),
    column('detained', '#affected+detained'),
    column('missing', '#affected+missing'),
    column('figures_are_minimum', '#meta+minimum'),
    column('credibility', '#meta+credibility'),
    column('review_status', '#status+review'),
    column('review_note', '#meta+review_note'),
    column('created_at', '#date+created'),
    column('updated_at', '#date+updated'),
    column('version', '#meta+version'),
    column('deleted_at', '#date+deleted'),
  ],
};
