/**
 * One endpoint's outcome, for the CLI and the Lambda alike: finished (probe and analysis), or not finished and why.
 * A probe the deadline or its budget cut short is not analysed: partial records would read as false divergence or
 * recovery. An analysis that throws costs that endpoint's result, never the run's.
 */
import { analyzeEndpoint, type EndpointAnalysis } from "./analysis/index.js";
import type { RuleSettings } from "./analysis/rules.js";
import type { EndpointProbe } from "./probe/types.js";
import type { Endpoint } from "./registry/schema.js";

export type NotFinishedReason = "deadline" | "budget" | "analysis-error";

export type EndpointOutcome =
  | { kind: "finished"; endpoint: Endpoint; probe: EndpointProbe; analysis: EndpointAnalysis }
  | { kind: "not-finished"; endpoint: Endpoint; probe: EndpointProbe; reason: NotFinishedReason; message: string };

export function outcomeOf(endpoint: Endpoint, probe: EndpointProbe, settings?: RuleSettings): EndpointOutcome {
  if (probe.error?.code === "DEADLINE") return { kind: "not-finished", endpoint, probe, reason: "deadline", message: probe.error.message };
  if (probe.error?.code === "BUDGET") return { kind: "not-finished", endpoint, probe, reason: "budget", message: probe.error.message };
  try {
    return { kind: "finished", endpoint, probe, analysis: analyzeEndpoint(probe, settings) };
  } catch (err) {
    return { kind: "not-finished", endpoint, probe, reason: "analysis-error", message: `the analysis failed: ${String(err)}` };
  }
}
