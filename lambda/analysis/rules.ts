/**
 * Every analysis rule, listed once (blackbox_exporter's `Probers` map is the model): each a pure function from one
 * endpoint's records, and the facts computed once for all of them, to findings. analyzeEndpoint runs them all; the
 * rule tests (test/analysis/rules.test.ts) are keyed by these names, so a rule without a unit test does not compile.
 */
import type { EndpointProbe } from "../probe/types.js";
import { chainFindings } from "./chain.js";
import { clientAuthFindings } from "./client-auth.js";
import { protocolFindings } from "./protocols.js";
import { sniFindings } from "./sni.js";
import { sessionSizeFindings } from "./session-size.js";
import { floodFindings } from "./flood.js";
import { discoveryFindings } from "./discovery.js";
import { emsFindings } from "./ems.js";
import { EXPIRY_WARNING_DAYS, expiryFindings, unparseableFindings } from "./expiry.js";
import type { Finding } from "./finding.js";
import { handshakeFailureFindings, tls13Findings } from "./handshake-failures.js";
import { javaFinding, type JavaVerdict } from "./java/verdict.js";
import { renegotiationFindings } from "./renegotiation.js";
import { certificateChangeFinding, refusedResumptionFinding, resumptionFailureFinding, sharedResumptionFinding } from "./resumption.js";
import { validationFindings } from "./validation.js";
import { alternatesFinding, divergenceFinding, type CertificateVariant, type FieldDifference } from "./variants.js";

/** What several rules need, computed once per endpoint. */
export interface RuleFacts {
  variants: CertificateVariant[];
  differences: FieldDifference[];
  javaClients: JavaVerdict[];
  /** The same profiles for clients that send no SNI, when a member presents another certificate then (else empty). */
  javaClientsWithoutSni: JavaVerdict[];
}

/** Settings a rule reads (the deployment's own, from lambda/settings.ts, or the CLI's defaults). */
export interface RuleSettings {
  /** A presented leaf valid for fewer days than this is an expiry-soon warning (the expiry alarm's threshold too). */
  expiryWarningDays: number;
}

export const DEFAULT_RULE_SETTINGS: RuleSettings = { expiryWarningDays: EXPIRY_WARNING_DAYS };

export type Rule = (probe: EndpointProbe, facts: RuleFacts, settings: RuleSettings) => Finding[];

export const RULES = {
  "java-client-abort": (_probe, facts) => javaFinding([...facts.javaClients, ...facts.javaClientsWithoutSni]),
  validation: (probe) => validationFindings(probe),
  "handshake-failures": (probe) => handshakeFailureFindings(probe),
  divergence: (probe, facts) => divergenceFinding(probe, facts.variants, facts.differences),
  alternates: (probe, facts) => alternatesFinding(probe, facts.variants),
  "resumption-failure": (probe) => resumptionFailureFinding(probe),
  "certificate-change": (probe) => certificateChangeFinding(probe),
  ems: (probe) => emsFindings(probe),
  renegotiation: (probe) => renegotiationFindings(probe),
  expiry: (probe, _facts, settings) => expiryFindings(probe, settings.expiryWarningDays),
  unparseable: (probe) => unparseableFindings(probe),
  tls13: (probe) => tls13Findings(probe),
  "refused-resumption": (probe) => refusedResumptionFinding(probe),
  "shared-resumption": (probe) => sharedResumptionFinding(probe),
  discovery: (probe) => discoveryFindings(probe),
  "client-auth": (probe) => clientAuthFindings(probe),
  "session-size": (probe) => sessionSizeFindings(probe),
  flood: (probe) => floodFindings(probe),
  sni: (probe) => sniFindings(probe),
  chain: (probe) => chainFindings(probe),
  protocols: (probe) => protocolFindings(probe),
} satisfies Record<string, Rule>;

export type RuleName = keyof typeof RULES;

export function runRules(probe: EndpointProbe, facts: RuleFacts, settings: RuleSettings = DEFAULT_RULE_SETTINGS): Finding[] {
  return (Object.values(RULES) as Rule[]).flatMap((rule) => rule(probe, facts, settings));
}
