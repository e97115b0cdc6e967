/**
 * Java client profiles: what each JDK generation does when it offers a cached session (OpenJDK ClientHandshaker in 8,
 * ClientHello and CertificateMessage in 11+; JDK-8072385, JDK-8148421).
 * All profiles are clients WITHOUT endpoint identification (Apache HttpClient, Puppet's clj-http-client), the
 * setting in which the check is active.
 */
import type { IdentityRule } from "./identity.js";

export type JavaProfileId = "jdk8u25-8u51" | "jdk8u60-8u152" | "jdk8u161+" | "jdk11+" | "jdk11+-tls12" | "jdk11+-no-ems";

export interface JavaClientProfile {
  id: JavaProfileId;
  label: string;
  identity: IdentityRule;
  /** Client negotiates EMS (8148421, 8u161 / 11). With it, a session without EMS is never offered, and a new session with EMS switches the check off. */
  ems: boolean;
  /** 8u65/8u71+: a refused session is dropped from the cache; before, it stayed and every later switch aborted. */
  invalidatesRefusedSession: boolean;
  /** Offers TLS 1.2 session tickets as well as session IDs (client support arrived in JDK 13, on by default). */
  tickets: boolean;
  /** Negotiates TLS 1.3 where the member offers it; TLS 1.3 has no such check. */
  tls13: boolean;
  /** A supported, current JDK line in its usual configuration: its risk is what pages. */
  current: boolean;
}

export const JAVA_PROFILES: readonly JavaClientProfile[] = [
  {
    id: "jdk8u25-8u51",
    label: "JDK 8u25–8u51",
    identity: "first-san",
    ems: false,
    invalidatesRefusedSession: false,
    tickets: false,
    tls13: false,
    current: false,
  },
  // 8u60–8u64 still kept a refused session (invalidation came in 8u65/8u71); the profile follows the later, common builds.
  {
    id: "jdk8u60-8u152",
    label: "JDK 8u60–8u152",
    identity: "any-san",
    ems: false,
    invalidatesRefusedSession: true,
    tickets: false,
    tls13: false,
    current: false,
  },
  {
    id: "jdk8u161+",
    label: "JDK 8u161+ (TLS 1.2)",
    identity: "any-san",
    ems: true,
    invalidatesRefusedSession: true,
    tickets: false,
    tls13: false,
    current: true,
  },
  {
    id: "jdk11+",
    label: "JDK 11+ (TLS 1.3 where offered)",
    identity: "any-san",
    ems: true,
    invalidatesRefusedSession: true,
    tickets: true,
    tls13: true,
    current: true,
  },
  // Measured on JDK 17: -Djdk.tls.client.protocols=TLSv1.2 gives the 8u161+ rules plus TLS 1.2 tickets (JDK 13+).
  {
    id: "jdk11+-tls12",
    label: "JDK 11+ pinned to TLS 1.2",
    identity: "any-san",
    ems: true,
    invalidatesRefusedSession: true,
    tickets: true,
    tls13: false,
    current: true,
  },
  // Measured on JDK 17: -Djdk.tls.useExtendedMasterSecret=false gives the 8u60–8u152 rules plus tickets, TLS 1.3 still on.
  {
    id: "jdk11+-no-ems",
    label: "JDK 11+ with EMS off",
    identity: "any-san",
    ems: false,
    invalidatesRefusedSession: true,
    tickets: true,
    tls13: true,
    current: false,
  },
];

/** What switches the check off on any version: said with every verdict. */
export const CHECK_SWITCHES =
  "The check is off when the client sets an endpoint identification algorithm (HttpsURLConnection's default " +
  '"HTTPS", LDAPS since 8200666), or runs with -Djdk.tls.allowUnsafeServerCertChange=true (unsafe: it reopens the ' +
  "triple handshake attack).";
