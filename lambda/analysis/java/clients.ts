/**
 * Which Java client libraries the verdicts apply to: measured on JDK 17 against divergent pools (46,500 requests;
 * issue 10/14). Exposed: they set no endpoint identification algorithm, so the JDK's certificate-change check is
 * on. Protected: they set "HTTPS" (0 aborts in 10,470 requests). A client's own hostname check does not count;
 * only SSLParameters.setEndpointIdentificationAlgorithm("HTTPS") switches the check off.
 */
export interface JavaClientLibrary {
  client: string;
  exposed: boolean;
}

export const JAVA_CLIENT_LIBRARIES: readonly JavaClientLibrary[] = [
  { client: "Apache HttpClient 4.5 (sync and async)", exposed: true },
  { client: "Apache HttpClient 5.2", exposed: true },
  { client: "Puppet's clj-http-client", exposed: true },
  { client: "OkHttp 3", exposed: true },
  { client: "HttpsURLConnection with a custom HostnameVerifier", exposed: true },
  { client: "java.net.http with hostname verification disabled", exposed: true },
  { client: "Jetty with endpoint identification cleared", exposed: true },
  { client: "a raw SSLSocket", exposed: true },
  { client: "HttpsURLConnection with its defaults", exposed: false },
  { client: "java.net.http with its defaults", exposed: false },
  { client: "Jetty with its defaults", exposed: false },
];

export const JAVA_EXPOSURE_NOTE =
  'Only SSLParameters.setEndpointIdentificationAlgorithm("HTTPS") switches the check off; a client\'s own hostname ' +
  "check does not. A JDK 11+ client pinned to TLS 1.2 reads as the TLS 1.2 line.";
