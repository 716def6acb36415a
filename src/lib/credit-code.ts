/**
 * 统一社会信用代码 (GB 32100-2015): 18 characters from a 31-symbol alphabet (no I, O, S, V, Z);
 * positions 3–8 are the GB/T 2260 region code; the 18th is a check character over the first 17
 * with weights 3^i mod 31.
 */
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

export function creditCodeCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = ALPHABET.indexOf(first17[i] ?? '');
    if (v < 0) throw new Error('invalid character');
    sum += v * WEIGHTS[i]!;
  }
  const c = 31 - (sum % 31);
  return ALPHABET[c === 31 ? 0 : c]!;
}

export function validateCreditCode(code: string): string | null {
  if (!/^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/.test(code)) {
    return 'must be 18 characters: 2 registration/type characters, a 6-digit region code, 10 characters from 0-9 and A-Y without I, O, S, V, Z';
  }
  if (creditCodeCheckChar(code.slice(0, 17)) !== code[17]) return 'check character does not match (GB 32100-2015)';
  return null;
}
