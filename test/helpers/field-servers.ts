/**
 * Real TLS servers from Debian packages, configured as pool members are in the field: nginx and Apache httpd
 * (mod_ssl); HAProxy, as the VIP passing or terminating TLS, is in processes.ts. Each runs in the foreground from a
 * config in its own temp folder, on loopback, and is stopped by close(). .ci/run installs the packages; a missing
 * binary fails the suite.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IssuedCertificate } from "../../lambda/lab/pki.js";
import { findBinary, freePort, startDaemon, type RunningProcess } from "./processes.js";

export { freePort } from "./processes.js";

function writeCertificates(dir: string, certificates: IssuedCertificate[]): Array<{ cert: string; key: string }> {
  return certificates.map((c, i) => {
    const cert = join(dir, `cert${i}.pem`);
    const key = join(dir, `key${i}.pem`);
    writeFileSync(cert, c.chainPem);
    writeFileSync(key, c.keyPem, { mode: 0o600 });
    return { cert, key };
  });
}

/** Session-ticket key material to share between members: nginx and Apache both take 48 bytes (or 80 for nginx). */
export const ticketKeyFile = (): Buffer => randomBytes(48);

export interface NginxMember {
  /** One or more certificates (nginx picks per client offer: RSA and ECDSA for the same names is the usual setup). */
  certificates: IssuedCertificate[];
  /** `ssl_session_ticket_key` contents; without it nginx makes its own random keys. */
  ticketKey?: Buffer;
  /** `ssl_conf_command Options -ExtendedMasterSecret`. */
  noEms?: boolean;
  /** `ssl_protocols` (default TLSv1.2 TLSv1.3). */
  protocols?: string;
  /** More lines for the server block, verbatim (a remedy's snippet); one that sets ssl_protocols replaces ours. */
  extra?: string[];
  /**
   * A `default_server` block with this certificate answers clients whose SNI matches no server_name (or who send
   * none); the main block then answers only `serverName`.
   */
  defaultServer?: IssuedCertificate;
  /** The port to listen on (a member restarted with a renewed certificate keeps its address); default a free one. */
  port?: number;
  serverName?: string;
  /** Send the leaf alone, without its intermediates (an incomplete chain). */
  leafOnly?: boolean;
  /** `listen … ssl proxy_protocol`: the member expects a PROXY protocol header before the TLS ClientHello. */
  proxyProtocol?: boolean;
}

/** nginx 1.22, one process (no master, no daemon), one TLS server block. */
export async function startNginx(spec: NginxMember): Promise<RunningProcess> {
  const nginx = findBinary("nginx");
  const dir = mkdtempSync(join(tmpdir(), "tpm-nginx-"));
  const port = spec.port ?? (await freePort());
  const files = writeCertificates(dir, spec.leafOnly ? spec.certificates.map((c) => ({ ...c, chainPem: c.certPem })) : spec.certificates);
  if (spec.defaultServer) {
    writeFileSync(join(dir, "fallback.pem"), spec.defaultServer.chainPem);
    writeFileSync(join(dir, "fallback.key"), spec.defaultServer.keyPem, { mode: 0o600 });
  }
  const listen = `    listen 127.0.0.1:${port} ssl${spec.proxyProtocol ? " proxy_protocol" : ""}`;
  if (spec.ticketKey) writeFileSync(join(dir, "ticket.key"), spec.ticketKey, { mode: 0o600 });
  const config = [
    "daemon off;",
    "master_process off;",
    `pid ${join(dir, "nginx.pid")};`,
    `error_log ${join(dir, "error.log")} warn;`,
    "events { worker_connections 256; }",
    "http {",
    "  access_log off;",
    `  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};`,
    ...(spec.defaultServer
      ? [
          "  server {",
          `${listen} default_server;`,
          `    ssl_certificate ${join(dir, "fallback.pem")};`,
          `    ssl_certificate_key ${join(dir, "fallback.key")};`,
          "    ssl_session_cache shared:fallback:1m;",
          '    location / { return 200 "fallback\\n"; }',
          "  }",
        ]
      : []),
    "  server {",
    `${listen};`,
    ...(spec.serverName ? [`    server_name ${spec.serverName};`] : []),
    ...files.flatMap((f) => [`    ssl_certificate ${f.cert};`, `    ssl_certificate_key ${f.key};`]),
    ...(spec.extra?.some((l) => /^\s*ssl_protocols\b/.test(l)) ? [] : [`    ssl_protocols ${spec.protocols ?? "TLSv1.2 TLSv1.3"};`]),
    "    ssl_session_cache shared:members:1m;",
    "    ssl_session_tickets on;",
    ...(spec.ticketKey ? [`    ssl_session_ticket_key ${join(dir, "ticket.key")};`] : []),
    ...(spec.noEms ? ["    ssl_conf_command Options -ExtendedMasterSecret;"] : []),
    ...(spec.extra ?? []).map((l) => `    ${l}`),
    '    location / { return 200 "ok\\n"; }',
    "  }",
    "}",
    "",
  ].join("\n");
  writeFileSync(join(dir, "nginx.conf"), config);
  return startDaemon("nginx", nginx, ["-p", dir, "-e", join(dir, "error.log"), "-c", join(dir, "nginx.conf")], dir, port);
}

export interface ApacheMember {
  certificate: IssuedCertificate;
  /**
   * A loopback address of its own (127.0.0.2, …) and a port shared with the other members: mod_ssl derives the
   * session ID context from ServerName:port, so members on one port (as on separate hosts) resume each other.
   */
  host?: string;
  port?: number;
  /**
   * httpd's LogLevel (default warn). Measured here on Debian's httpd 2.4 / OpenSSL 3.0: with a shared
   * SSLSessionTicketKeyFile, members resume each other's tickets at LogLevel debug and refuse them at info and warn
   * (`openssl s_client -sess_out/-sess_in` shows the same), so the suite checks the probe against s_client in both.
   */
  logLevel?: string;
  /** `SSLSessionTickets off`. */
  noTickets?: boolean;
  /** `SSLSessionTicketKeyFile` contents (48 bytes), shared between members to share tickets. */
  ticketKey?: Buffer;
  /** `SSLOpenSSLConfCmd Options -ExtendedMasterSecret`. */
  noEms?: boolean;
  /** More lines for the virtual host, verbatim (a remedy's snippet). */
  extra?: string[];
}

const APACHE_MODULES = "/usr/lib/apache2/modules";

/** Apache httpd 2.4 with mod_ssl, one process in the foreground (-X), one TLS virtual host. */
export async function startApache(spec: ApacheMember): Promise<RunningProcess> {
  const apache = findBinary("apache2");
  const dir = mkdtempSync(join(tmpdir(), "tpm-apache-"));
  chmodSync(dir, 0o755);
  const host = spec.host ?? "127.0.0.1";
  const port = spec.port ?? (await freePort());
  const [files] = writeCertificates(dir, [spec.certificate]);
  if (spec.ticketKey) writeFileSync(join(dir, "ticket.key"), spec.ticketKey, { mode: 0o600 });
  const config = [
    `ServerRoot ${dir}`,
    `PidFile ${join(dir, "httpd.pid")}`,
    `ErrorLog ${join(dir, "error.log")}`,
    `LogLevel ${spec.logLevel ?? "warn"}`,
    "ServerName pool.test",
    `LoadModule mpm_event_module ${APACHE_MODULES}/mod_mpm_event.so`,
    `LoadModule authz_core_module ${APACHE_MODULES}/mod_authz_core.so`,
    `LoadModule socache_shmcb_module ${APACHE_MODULES}/mod_socache_shmcb.so`,
    `LoadModule ssl_module ${APACHE_MODULES}/mod_ssl.so`,
    "User nobody",
    "Group nogroup",
    `Mutex file:${dir} default`,
    `Listen ${host}:${port}`,
    `SSLSessionCache shmcb:${join(dir, "scache")}(512000)`,
    `<VirtualHost ${host}:${port}>`,
    "  ServerName pool.test:443",
    "  SSLEngine on",
    `  SSLCertificateFile ${files!.cert}`,
    `  SSLCertificateKeyFile ${files!.key}`,
    `  SSLSessionTickets ${spec.noTickets ? "off" : "on"}`,
    ...(spec.ticketKey ? [`  SSLSessionTicketKeyFile ${join(dir, "ticket.key")}`] : []),
    ...(spec.noEms ? ["  SSLOpenSSLConfCmd Options -ExtendedMasterSecret"] : []),
    ...(spec.extra ?? []).map((l) => `  ${l}`),
    `  DocumentRoot ${dir}`,
    "</VirtualHost>",
    "",
  ].join("\n");
  writeFileSync(join(dir, "httpd.conf"), config);
  return startDaemon("apache2", apache, ["-X", "-d", dir, "-f", join(dir, "httpd.conf")], dir, port, host);
}
