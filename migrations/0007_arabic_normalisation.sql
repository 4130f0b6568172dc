-- The Arabic normalisation of src/domain/arabic.ts, for search vectors and queries: diacritics and tatweel removed,
-- alef, hamza, alef maqsura and taa marbuta forms unified, the article and its joined particles dropped.
CREATE OR REPLACE FUNCTION corroborate_normalise_arabic(input text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT regexp_replace(
    translate(regexp_replace(input, '[\u064B-\u065F\u0670\u0640]', '', 'g'), 'أإآٱؤئىة', 'ااااوييه'),
    '(^|[^\u0621-\u064A])(?:[\u0648\u0641]?[\u0628\u0643\u0644]?\u0627\u0644|[\u0648\u0641]?\u0644\u0644)+(?=[\u0621-\u064A]{2})',
    '\1', 'g')
$fn$;