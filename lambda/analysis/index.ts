/** From one endpoint's probe records to variants, findings and the summary numbers. Pure. */
import type { EndpointProbe } from "../probe/types.js";
import { minDaysToExpiry } from "./expiry.js";
import { affectsClients, bySeverity, type Finding, type Severity } from "./finding.js";
import { failedHandshakes } from "./handshake-failures.js";
import { memberHandshakes, vipConnections } from "./observations.js";
import { renegotiationFailures } from "./renegotiation.js";
import { failedResumptions, matrixChanges, resumptionCounts } from "./resumption.js";
import { poolModel } from "./java/pool-model.js";
import { atRisk, javaVerdicts, whatIfVerdicts, type JavaVerdict } from "./java/verdict.js";
import { modelWithoutSni } from "./sni.js";
import { DEFAULT_RULE_SETTINGS, runRules, type RuleSettings } from "./rules.js";
import { computeRemedies, type Remedy } from "./remedies.js";
import { certificateVariants, divergingMembers, identitiesPerOffer, variantDifferences, type CertificateVariant, type FieldDifference } from "./variants.js";

export interface EndpointSummary {
  /** The most distinct leaves presented to one client offer (alternates per offer are one identity): 1 when consistent. */
  certificateVariants: number;
  /** Distinct leaves seen at all, alternates included. */
  certificatesSeen: number;
  membersProbed: number;
  membersDiverging: number;
  resumptionAttempts: number;
  resumptionResumed: number;
  resumptionRefused: number;
  certificateChangesOnResumption: number;
  /** Cross-member offers that would change the certificate (from the matrix). */
  crossMemberCertificateChanges: number;
  /** Cross-member offers answered with a fatal alert. */
  crossMemberResumptionFailures: number;
  renegotiationFailures: number;
  handshakeFailures: number;
  handshakes: number;
  /** Handshake times of successful full and resumed handshakes, ms. */
  handshakeLatencyMs: number[];
  minDaysToExpiry: number | null;
  /**
   * Mutual TLS: 1 when the client certificate could not be read, was refused, or is required and not configured;
   * 0 when it works; null when no client certificate is configured and no member asks for one.
   */
  clientCertificateProblems: number | null;
  /** Java client profiles whose verdict is `aborts` or `can-abort`. */
  javaProfilesAtRisk: number;
  /** Java client profiles whose verdict could not be reached (a fact it depends on is missing). */
  javaProfilesUnknown: number;
  /** The most connections of the observed VIP chain any Java profile would have failed. */
  javaAbortedConnections: number;
  findings: Record<Severity, number>;
  /** Critical findings, and warnings about what breaks or can break clients (hygiene warnings not counted). */
  clientAffectingFindings: number;
  /** At least one TLS handshake completed, or a server presented its certificate (through the VIP or to a member). */
  reachable: boolean;
}

export interface EndpointAnalysis {
  variants: CertificateVariant[];
  differences: FieldDifference[];
  javaClients: JavaVerdict[];
  /** The same profiles connecting without SNI, when some member presents another certificate then; else empty. */
  javaClientsWithoutSni: JavaVerdict[];
  /** What to change, best first, each with the Java profiles it makes safe (a what-if on the pool model). */
  remedies: Remedy[];
  findings: Finding[];
  summary: EndpointSummary;
}

export function analyzeEndpoint(probe: EndpointProbe, settings: RuleSettings = DEFAULT_RULE_SETTINGS): EndpointAnalysis {
  const variants = certificateVariants(probe);
  const differences = variantDifferences(probe, variants);
  // The pool model is read once: the verdicts and the remedies' what-ifs start from it.
  const model = poolModel(probe);
  const javaClients = javaVerdicts(probe, model);
  const noSniModel = modelWithoutSni(probe, model);
  const javaClientsWithoutSni = noSniModel
    ? whatIfVerdicts(probe, noSniModel).map((v) => ({ ...v, label: `${v.label} without SNI`, withoutSni: true as const }))
    : [];
  const findings = runRules(probe, { variants, differences, javaClients, javaClientsWithoutSni }, settings);
  if (probe.error) {
    findings.unshift({
      kind: "handshake-failure",
      severity: "critical",
      message: `The probe itself failed: ${probe.error.message}`,
      evidence: { error: probe.error },
    });
  }
  findings.sort(bySeverity);
  const all = [...vipConnections(probe), ...memberHandshakes(probe).map((h) => h.record)];
  const succeeded = all.filter((r) => !r.error);
  const counts = resumptionCounts(probe);
  const days = minDaysToExpiry(probe);
  const severityCount = (s: Severity) => findings.filter((f) => f.severity === s).length;
  return {
    variants,
    differences,
    javaClients,
    javaClientsWithoutSni,
    remedies: computeRemedies(probe, javaClients, model),
    findings,
    summary: {
      certificateVariants: identitiesPerOffer(probe),
      certificatesSeen: variants.length,
      membersProbed: probe.members.length,
      membersDiverging: divergingMembers(probe).length,
      resumptionAttempts: counts.attempts,
      resumptionResumed: counts.resumed,
      resumptionRefused: counts.refused,
      certificateChangesOnResumption: counts.changes,
      crossMemberCertificateChanges: matrixChanges(probe).length,
      crossMemberResumptionFailures: failedResumptions(probe).length,
      renegotiationFailures: renegotiationFailures(probe).length,
      handshakeFailures: failedHandshakes(probe).length,
      handshakes: all.length,
      handshakeLatencyMs: succeeded.map((r) => r.handshakeMs).filter((ms): ms is number => ms !== undefined),
      minDaysToExpiry: days ?? null,
      clientCertificateProblems:
        probe.clientCertificate === undefined && !probe.members.some((m) => m.clientAuth === "required")
          ? null
          : findings.some((f) => f.kind === "client-certificate")
            ? 1
            : 0,
      // Distinct profiles at risk, with or without SNI (the metric stays 0–6).
      javaProfilesAtRisk: new Set([...javaClients, ...javaClientsWithoutSni].filter(atRisk).map((v) => v.profile)).size,
      javaProfilesUnknown: javaClients.filter((v) => v.verdict === "unknown").length,
      javaAbortedConnections: Math.max(0, ...javaClients.map((v) => v.abortedConnections)),
      findings: { critical: severityCount("critical"), warning: severityCount("warning"), info: severityCount("info") },
      clientAffectingFindings: findings.filter(affectsClients).length,
      // A server that ended the handshake over the client certificate answered: its certificate is evidence.
      reachable: succeeded.length > 0 || all.some((r) => r.leaf !== undefined),
    },
  };
}
