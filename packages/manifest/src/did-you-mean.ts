/**
 * Edit distance with adjacent transpositions (optimal string alignment), so
 * `dependecies` is one edit from `dependencies` and `tiemoutMs` one from `timeoutMs`.
 */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

/** `timeout_ms`, `TimeoutMs` and `timeoutms` all fold to `timeoutms`. */
function fold(text: string): string {
  return text.toLowerCase().replace(/[-_\s]/g, "");
}

/**
 * The known word closest to `input`, if one is close enough to be a likely typo:
 * the same word in another case or separator style, or a few edits away.
 * @private
 */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  // Longer words tolerate more typos; one-letter slips on short words only.
  const limit = Math.max(1, Math.min(3, Math.floor(input.length / 4)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === input) continue;
    if (fold(candidate) === fold(input)) return candidate;
    // A clipped word (`ttl` for `ttlMs`, `dependencies` for `dependenciesX`) is a likely slip too.
    if (input.length >= 3 && (candidate.startsWith(input) || input.startsWith(candidate))) return candidate;
    if (Math.abs(candidate.length - input.length) > limit) continue;
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
