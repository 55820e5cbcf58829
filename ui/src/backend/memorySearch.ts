// TEST DOUBLE: the customer search of `list_queue` (`QueueQuery.search`), as dossier-app runs it
// over its FTS5 index (migration 0004, `search_words` in kyc.rs): words split on white space,
// at most 8 words and 200 characters (else 400 `too_long`), words without a letter or digit
// dropped; each word must match some column (name, reference id, emails, document numbers) by prefix, case and
// accents ignored. Like the `unicode61` tokenizer, a column is read as runs of letters and
// digits, and a word that holds punctuation (`s-000`, `okafor@mail`) is a phrase of such runs
// in a row whose last one is a prefix.
import type { Reason } from '../bindings/Reason';

export const SEARCH_MAX_CHARS = 200;
export const SEARCH_MAX_WORDS = 8;

/** The search's words, or the reason it is refused. */
export function searchWords(raw: string | null | undefined): { words: string[] } | { reason: Reason } {
  if (!raw) return { words: [] };
  if ([...raw].length > SEARCH_MAX_CHARS) {
    return { reason: { code: 'too_long', message: `search is longer than ${SEARCH_MAX_CHARS} characters`, field: 'search' } };
  }
  const words = raw
    .split(/\s+/)
    .filter((w) => /[\p{L}\p{N}]/u.test(w))
    .map((w) => w.toLowerCase());
  if (words.length > SEARCH_MAX_WORDS) {
    return { reason: { code: 'too_long', message: `search has more than ${SEARCH_MAX_WORDS} words`, field: 'search' } };
  }
  return { words };
}

/** Letters and digits runs, lower-cased, accents removed: `Müller-Lüdenscheidt` → muller, ludenscheidt. */
export function tokens(text: string): string[] {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

function phraseMatches(column: string[], phrase: string[]): boolean {
  if (!phrase.length) return true;
  const last = phrase.length - 1;
  for (let start = 0; start + last < column.length; start += 1) {
    let ok = true;
    for (let k = 0; k < last && ok; k += 1) ok = column[start + k] === phrase[k];
    if (ok && column[start + last]!.startsWith(phrase[last]!)) return true;
  }
  return false;
}

/** Whether every word matches one of the columns by prefix. */
export function matchesSearch(words: string[], columns: string[]): boolean {
  const read = columns.map(tokens);
  return words.every((word) => {
    const phrase = tokens(word);
    return read.some((column) => phraseMatches(column, phrase));
  });
}
