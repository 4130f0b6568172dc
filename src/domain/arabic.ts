/**
 * Arabic as people write it: the same word is spelt with or without hamza on its alef, with taa marbuta or ha at
 * its end, alef maqsura or ya, diacritics and tatweel, and with the article ال (often joined to a conjunction or
 * preposition: وال، بال، فال، كال، لل). Normalising removes those differences, so that search and the matching of
 * names see one word. The database applies the same rules in `corroborate_normalise_arabic` (see the migration
 * that defines it); a test checks that both agree.
 */

/** Diacritics (tashkeel, superscript alef) and tatweel: never part of a word's identity. */
const MARKS = /[\u064B-\u065F\u0670\u0640]/g;

/** Letters written several ways, each mapped to one form. */
const LETTERS: Record<string, string> = {
  '\u0623': '\u0627', // أ → ا
  '\u0625': '\u0627', // إ → ا
  '\u0622': '\u0627', // آ → ا
  '\u0671': '\u0627', // ٱ → ا
  '\u0624': '\u0648', // ؤ → و
  '\u0626': '\u064A', // ئ → ي
  '\u0649': '\u064A', // ى → ي
  '\u0629': '\u0647', // ة → ه
};
const LETTER = new RegExp(`[${Object.keys(LETTERS).join('')}]`, 'g');

/**
 * The article with the particles that join it, at the start of a word of two letters or more: وال، فال، بال، كال،
 * لال، وبال … and لل (ل + ال); repeated, so that normalising twice changes nothing more.
 */
const ARTICLE =
  /(^|[^\u0621-\u064A])(?:[\u0648\u0641]?[\u0628\u0643\u0644]?\u0627\u0644|[\u0648\u0641]?\u0644\u0644)+(?=[\u0621-\u064A]{2})/g;

export function normaliseArabic(text: string): string {
  return text
    .replace(MARKS, '')
    .replace(LETTER, (c) => LETTERS[c]!)
    .replace(ARTICLE, '$1');
}
