import type { CsvColumn, Representations } from '../../http/formats';
import type { SourceDto } from './source-schemas';

const column = (name: keyof SourceDto & string, hxl: string): CsvColumn<SourceDto> => ({
  name,
  hxl,
  value: (s) => s[name],
});

export const sourceRepresentations: Representations<SourceDto> = {
  csv: [
    column('id', '#org+id'),
    column('name', '#org+name'),
    column('acronym', '#org+acronym'),
    column('kind', '#org+type'),
    column('url', '#meta+url'),
    column('country', '#country+code'),
    column('independence_group', '#org+group'),
    column('reliability', '#meta+reliability'),
    column('party_to_conflict', '#org+party'),
    column('protected', '#meta+protected'),
    column('notes', '#meta+notes'),
    column('created_at', '#date+created'),
    column('updated_at', '#date+updated'),
    column('version', '#meta+version'),
    column('deleted_at', '#date+deleted'),
  ],
};
