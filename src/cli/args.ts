/** Minimal `--name value` / `--flag` parser for the CLI tools. */
export function parseArgs(argv: string[]): { flags: Record<string, string | true>; positional: string[] } {
  const flags: Record<string, string | true> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
      const next = argv[i + 1];
      if (inline !== undefined) flags[name] = inline;
      else if (next !== undefined && !next.startsWith('--')) {
        flags[name] = next;
        i++;
      } else flags[name] = true;
    } else positional.push(a);
  }
  return { flags, positional };
}

export function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/** A numeric `--name` flag, `dflt` when absent; anything not a number ≥ `min` stops the tool. */
export function numberFlag(flags: Record<string, string | true>, name: string, dflt: number, min = Number.MIN_VALUE): number {
  const v = flags[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) fail(min === Number.MIN_VALUE ? `--${name} takes a positive number` : `--${name} takes a number ≥ ${min}`);
  return n;
}
