/** Time kept back from the Lambda timeout for reading state and publishing: 15%, at least 10 s, at most 60 s. */
export function probeBudgetMs(remainingMs: number): number {
  const margin = Math.min(60_000, Math.max(10_000, remainingMs * 0.15));
  return Math.max(0, remainingMs - margin);
}
