import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { jiebaUserDictionary, synonymMap } from './search.dictionary.js';

/**
 * Chinese (and mixed Chinese/English) text → search terms with jieba plus the domain dictionary.
 * HMM is off on both sides (documents and queries): new-word guessing depends on context, so the
 * same phrase could be cut differently in a document and in a query and never match.
 */
let jieba: Jieba | undefined;
function segmenter(): Jieba {
  // Loading the dictionaries costs ~240 ms: once per process, on first use.
  if (!jieba) {
    jieba = Jieba.withDict(dict);
    jieba.loadDict(Buffer.from(jiebaUserDictionary()));
  }
  return jieba;
}

let synonyms: Map<string, string[]> | undefined;
export function synonymsOf(term: string): string[] {
  synonyms ??= synonymMap();
  return synonyms.get(term) ?? [];
}

/** Words that carry no subject: dropped from queries and from match explanations. */
const STOP_WORDS = new Set([
  '的', '了', '和', '与', '及', '或', '在', '是', '对', '等', '为', '以', '于', '将', '把', '被', '由', '从', '中', '上', '下',
  '其', '该', '并', '而', '也', '可', '能', '有', '一种', '一个', '进行', '采用', '通过', '具有', '基于', '用于', '以及',
  '相关', '方面', '我们', '公司', '企业', '单位', '需要', '需求', '寻求', '希望', '要求', '目前', '主要', '实现', '提供',
  'the', 'a', 'an', 'of', 'and', 'or', 'for', 'in', 'on', 'to', 'with', 'by', 'is', 'are', 'based',
]);

const WORD = /[\p{L}\p{N}]/u;
const normalize = (t: string) => t.trim().toLowerCase();

/**
 * The last results of a pure text → terms function, keyed by the whole text, least recently used
 * out first. Matching segments the public text of up to 250 candidates per request, and the same
 * listings come up again and again (the newest of a field, the best of a topic): jieba was most of
 * a match's CPU (37 µs a text against 4 µs for a hit). Terms are kept joined, about 4 bytes per
 * character of text instead of 20 as arrays, and every call gets an array of its own.
 */
function memoized(fn: (text: string) => string[], capacityChars: number): (text: string) => string[] {
  // Stored text cannot hold NUL; a query can, and such a text is not remembered.
  const SEPARATOR = '\u0000';
  const cache = new Map<string, string>();
  let chars = 0;
  return (text) => {
    if (text.includes(SEPARATOR)) return fn(text);
    let joined = cache.get(text);
    if (joined !== undefined) {
      cache.delete(text);
    } else {
      joined = fn(text).join(SEPARATOR);
      chars += text.length;
      for (const oldest of cache.keys()) {
        if (chars <= capacityChars) break;
        chars -= oldest.length;
        cache.delete(oldest);
      }
    }
    cache.set(text, joined);
    return joined === '' ? [] : joined.split(SEPARATOR);
  };
}

/** Characters of text remembered per function (about 50 MB with their terms). */
const MEMO_CAPACITY = 8_000_000;

const cutForSearch = memoized(
  (text) =>
    segmenter()
      .cutForSearch(text, false)
      .map(normalize)
      .filter((t) => t.length > 0 && WORD.test(t)),
  MEMO_CAPACITY,
);

/** Every term of a document, including the sub-words of long words (石墨烯 → 石墨, 石墨烯). */
export function documentTerms(text: string | null | undefined): string[] {
  return text ? cutForSearch(text) : [];
}

/** The terms of a query, in order, without stop words and duplicates. */
export const queryTerms = memoized((text) => {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of segmenter().cut(text, false)) {
    const t = normalize(raw);
    if (!t || !WORD.test(t) || STOP_WORDS.has(t) || seen.has(t)) continue;
    seen.add(t);
    out.push(t);
  }
  return out;
}, MEMO_CAPACITY);

/** Terms worth explaining a match with: query terms without single characters of Chinese. */
export function significantTerms(text: string): string[] {
  return queryTerms(text).filter((t) => !(t.length === 1 && /\p{Script=Han}/u.test(t)));
}
