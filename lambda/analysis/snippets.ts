/**
 * How to make each remedy's change on the TLS terminators and load balancers pools are built from. The nginx,
 * Apache and HAProxy lines are applied verbatim to real servers in test/field/remedies.test.ts, which probes again
 * and checks that the profiles the what-if promised are safe; the Jetty lines (PuppetDB's jetty.ini, Puppet Server's
 * webserver.conf, the JVM's options) likewise to JSSE members in test/field/jsse.test.ts.
 */
import type { RemedyAction } from "./remedies.js";

export type SnippetPlatform = "nginx" | "apache" | "haproxy" | "jetty" | "nlb" | "f5" | "openssl" | "java";
export type Snippets = Partial<Record<SnippetPlatform, string>>;

export const SNIPPETS: Record<RemedyAction, Snippets> = {
  "same-certificate": {
    nginx: "ssl_certificate     /etc/ssl/pool/fullchain.pem;  # the same files on every member\nssl_certificate_key /etc/ssl/pool/key.pem;",
    apache: "SSLCertificateFile    /etc/ssl/pool/fullchain.pem  # the same files on every member\nSSLCertificateKeyFile /etc/ssl/pool/key.pem",
    haproxy: "bind :443 ssl crt /etc/haproxy/pool.pem  # one PEM (leaf, chain, key), the same on every instance",
    jetty:
      "# PuppetDB: /etc/puppetlabs/puppetdb/conf.d/jetty.ini, [jetty] (Puppet Server: webserver.conf), the same files on every member\nssl-cert = /etc/puppetlabs/puppetdb/ssl/public.pem\nssl-key = /etc/puppetlabs/puppetdb/ssl/private.pem",
    nlb: "A TCP listener passes TLS through: install one certificate on every target. A TLS listener terminates with its one ACM certificate instead.",
    f5: "Client SSL profile: the same certificate and key on every virtual server in front of the pool (or terminate TLS on the BIG-IP).",
  },
  "shared-san": {
    openssl: 'openssl req -new -key member.key -subj "/CN=<service>" -addext "subjectAltName=DNS:<service>,DNS:<member name>"  # the service name first',
  },
  "share-session-state": {
    nginx: "ssl_session_ticket_key /etc/nginx/ticket.key;  # 80 random bytes (openssl rand 80), the same file on every member",
    apache: "SSLSessionTicketKeyFile /etc/apache2/ticket.key  # 48 random bytes (openssl rand 48), the same file on every member",
    haproxy: "bind :443 ssl crt /etc/haproxy/pool.pem tls-ticket-keys /etc/haproxy/ticket.keys  # base64 keys, one per line, the same file on every instance",
    jetty:
      "# Not possible on JSSE (Jetty, PuppetDB, Puppet Server): its stateless ticket key is made per SSLContext and can be neither set nor shared. Use same-certificate, enable-ems or sticky-routing.",
    f5: "Client SSL profile: Session Ticket enabled, with the same Session Ticket Encryption Key on every device of the group.",
  },
  "enable-ems": {
    nginx: "ssl_conf_command Options ExtendedMasterSecret;  # nginx ≥ 1.19.4 on OpenSSL ≥ 1.1.1",
    apache: "SSLOpenSSLConfCmd Options ExtendedMasterSecret",
    haproxy: "# HAProxy on OpenSSL ≥ 1.1.0 negotiates EMS unless its OpenSSL configuration turns it off: remove -ExtendedMasterSecret from openssl.cnf",
    jetty:
      '# JDK 8u161+ and 11+ have EMS on unless told otherwise: in JAVA_ARGS (/etc/default/puppetdb, /etc/sysconfig/puppetdb) drop -Djdk.tls.useExtendedMasterSecret=false, or set\nJAVA_ARGS="$JAVA_ARGS -Djdk.tls.useExtendedMasterSecret=true"',
    f5: "Client SSL profile: enable the extended master secret (RFC 7627) where the BIG-IP version offers it.",
  },
  "enable-tls13": {
    nginx: "ssl_protocols TLSv1.2 TLSv1.3;",
    apache: "SSLProtocol -all +TLSv1.2 +TLSv1.3",
    haproxy: "ssl-default-bind-options ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3",
    jetty: "# PuppetDB jetty.ini [jetty] (Puppet Server: webserver.conf ssl-protocols: [TLSv1.3, TLSv1.2]); JDK 11+\nssl-protocols = TLSv1.3,TLSv1.2",
    nlb: "A TLS listener: a security policy with TLS 1.3, such as ELBSecurityPolicy-TLS13-1-2-2021-06. A TCP listener: enable TLS 1.3 on the targets.",
    f5: 'Client SSL profile: clear "No TLSv1.3" in Options.',
  },
  "sticky-routing": {
    haproxy: "backend pool\n  mode tcp\n  balance source\n  hash-type consistent  # or: stick-table type ip size 100k expire 30m + stick on src",
    nginx: "stream { upstream pool { hash $remote_addr consistent; server 10.0.1.11:443; server 10.0.1.12:443; } }",
    nlb: "aws elbv2 modify-target-group-attributes --target-group-arn <arn> --attributes Key=stickiness.enabled,Value=true Key=stickiness.type,Value=source_ip",
    f5: "Virtual server: a source address affinity persistence profile.",
  },
  "allow-unsafe-cert-change": {
    java: "java -Djdk.tls.allowUnsafeServerCertChange=true ...  # on every client: reopens the triple handshake attack",
  },
};
