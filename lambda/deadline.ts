/** Time kept back from the Lambda timeout for reading state and publishing: 15%, at least 10 s, at most 60 s. */
export function probeBudgetMs(remainingMs: number): number {
  const margin = Math.min(60_000, Math.max(10_000, remainingMs * 0.15));
  return Math.max(0, remainingMs - margin);
}

/** Kept back after the AWS phase: writing the EMF fallback lines and the run's log line. */
export const FINAL_RESERVE_MS = 2_000;

/** Milliseconds from now by which every AWS call of the run must have ended. */
export function awsDeadlineMs(remainingMs: number): number {
  return Math.max(probeBudgetMs(remainingMs), remainingMs - FINAL_RESERVE_MS);
}
