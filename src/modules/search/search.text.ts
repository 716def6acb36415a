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

/** Every term of a document, including the sub-words of long words (石墨烯 → 石墨, 石墨烯). */
export function documentTerms(text: string | null | undefined): string[] {
  if (!text) return [];
  return segmenter()
    .cutForSearch(text, false)
    .map(normalize)
    .filter((t) => t.length > 0 && WORD.test(t));
}

/** The terms of a query, in order, without stop words and duplicates. */
export function queryTerms(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of segmenter().cut(text, false)) {
    const t = normalize(raw);
    if (!t || !WORD.test(t) || STOP_WORDS.has(t) || seen.has(t)) continue;
    seen.add(t);
    out.push(t);
  }
  return out;
}

/** Terms worth explaining a match with: query terms without single characters of Chinese. */
export function significantTerms(text: string): string[] {
  return queryTerms(text).filter((t) => !(t.length === 1 && /\p{Script=Han}/u.test(t)));
}
