/**
 * What the connections to one address have heard from it: a VIP or a member that answers nothing is asked a few
 * times, not every time (lambda/probe/vip-chain.ts SILENT_VIP_TIMEOUTS, lambda/probe/members.ts
 * SILENT_MEMBER_TIMEOUTS). One answer of any kind (a handshake, an alert, a reset) and it is never silent.
 */
import type { ProbeError } from "./types.js";

/** What the connections to one address have heard from it so far (the VIP's chains share one; each member has one). */
export interface Silence {
  answered: boolean;
  timeouts: number;
}

/** Counts one connection's outcome: a timeout (not the run's deadline) adds to the silence, anything else is an answer. */
export function hear(silence: Silence, error: ProbeError | undefined): void {
  if (error?.class === "timeout" && error.code !== "DEADLINE" && error.code !== SILENT_CODE) silence.timeouts++;
  else if (error?.code !== SILENT_CODE) silence.answered = true;
}

export const isSilent = (silence: Silence, after: number) => !silence.answered && silence.timeouts >= after;

/** The error code of a connection not made because its address had answered nothing (see SILENT_MEMBER_TIMEOUTS). */
export const SILENT_CODE = "SILENT";
