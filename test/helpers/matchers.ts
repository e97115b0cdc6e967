/**
 * The domain matcher: `expect(analysis).toHaveFinding("warning", "ems-missing")` (or on a findings array), with the
 * findings that were there in the failure message. Registered for every test file (vitest.config.ts setupFiles).
 */
import { expect } from "vitest";
import type { Finding, FindingKind, Severity } from "../../lambda/analysis/finding.js";

interface FindingMatchers<R = unknown> {
  toHaveFinding(severity: Severity, kind: FindingKind): R;
}

declare module "vitest" {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-explicit-any
  interface Assertion<T = any> extends FindingMatchers<T> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AsymmetricMatchersContaining extends FindingMatchers {}
}

expect.extend({
  toHaveFinding(received: { findings: Finding[] } | Finding[], severity: Severity, kind: FindingKind) {
    const findings = Array.isArray(received) ? received : received.findings;
    const pass = findings.some((f) => f.severity === severity && f.kind === kind);
    const seen = findings.map((f) => `${f.severity}:${f.kind}`).join(", ") || "none";
    return {
      pass,
      message: () => `expected ${pass ? "no " : ""}finding ${severity}:${kind}; the findings were ${seen}`,
    };
  },
});
