import java.io.ByteArrayInputStream;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A pool member as PuppetDB and Puppet Server run it: Java's own TLS server (JSSE, here an SSLServerSocket, which is
 * what Jetty's SslConnectionFactory drives), one SSLContext for every connection. Knobs are the JDK's own system
 * properties (-Djdk.tls.useExtendedMasterSecret=false, -Djdk.tls.rejectClientInitiatedRenegotiation=true,
 * -Djdk.tls.server.enableSessionTicketExtension=false) and the arguments:
 *   chainPem keyPem(PKCS#8) clientAuth(none|want|need) clientCaPem|- protocols(comma-separated)
 * Prints "LISTENING <port>" once bound to 127.0.0.1. Each connection: the handshake, then reads until the client
 * closes (a renegotiation is processed there); an HTTP request gets "200 ok" and the connection is closed, as
 * Jetty does for Puppet Server's `Connection: close` calls.
 */
public class JsseServer {
    static PrivateKey readKey(String file) throws Exception {
        String pem = Files.readString(Path.of(file));
        String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64));
        try {
            return KeyFactory.getInstance("EC").generatePrivate(spec);
        } catch (Exception notEc) {
            return KeyFactory.getInstance("RSA").generatePrivate(spec);
        }
    }

    static Certificate[] readCertificates(String file) throws Exception {
        try (InputStream in = new FileInputStream(file)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            return certs.toArray(new Certificate[0]);
        }
    }

    public static void main(String[] args) throws Exception {
        char[] password = "changeit".toCharArray();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("server", readKey(args[1]), password, readCertificates(args[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password);
        TrustManagerFactory tmf = null;
        if (!args[3].equals("-")) {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (Certificate c : readCertificates(args[3])) trust.setCertificateEntry("ca" + i++, c);
            tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
        SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 128, InetAddress.getByName("127.0.0.1"));
        server.setEnabledProtocols(args[4].split(","));
        if (args[2].equals("need")) server.setNeedClientAuth(true);
        if (args[2].equals("want")) server.setWantClientAuth(true);
        System.out.println("LISTENING " + server.getLocalPort());
        System.out.flush();
        while (true) {
            Socket accepted = server.accept();
            Thread thread = new Thread(() -> serve((SSLSocket) accepted));
            thread.setDaemon(true);
            thread.start();
        }
    }

    static void serve(SSLSocket socket) {
        try (socket) {
            socket.setSoTimeout(15_000);
            socket.startHandshake();
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            StringBuilder request = new StringBuilder();
            byte[] buffer = new byte[4096];
            for (int n; (n = in.read(buffer)) > 0; ) {
                request.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
                if (request.indexOf("\r\n\r\n") >= 0) {
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    return;
                }
            }
        } catch (Exception e) {
            // A refused client certificate, a refused renegotiation, a client that went away: the connection ends.
        }
    }
}
