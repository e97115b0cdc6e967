import java.io.FileInputStream;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Replays N sequential connections to host:port with ONE SSLContext (one client session cache), no endpoint
 * identification, as Apache HttpClient does. Prints one line per connection:
 *   <i> full|resumed <protocol> <subject>      or      <i> aborted <message>      or      <i> error <message>
 * Args: host port servername caPemFile count protocols(comma-separated) [clientChain.pem:clientKey.pem]
 */
public class ResumeReplay {
    /** The trust store of the PEM root in caPemFile. */
    static KeyStore trustStore(String caPemFile) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (FileInputStream in = new FileInputStream(caPemFile)) {
            trust.setCertificateEntry("root", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        return trust;
    }

    static final char[] KEY_PASSWORD = "changeit".toCharArray();

    /** A key store with the client certificate (chainPem, PKCS#8 keyPem), as Puppet Server loads its host certificate. */
    static KeyStore clientKeys(String chainPem, String keyPem) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("client", JsseServer.readKey(keyPem), KEY_PASSWORD, JsseServer.readCertificates(chainPem));
        return keys;
    }

    /** `chain.pem:key.pem` from the optional last argument, or null. */
    static String[] clientFiles(String[] args, int index) {
        return args.length > index && !args[index].equals("-") ? args[index].split(":") : null;
    }

    /** One SSLContext (one client session cache) trusting the PEM root in caPemFile, presenting a client certificate when given. */
    static SSLContext trusting(String caPemFile, String[] client) throws Exception {
        javax.net.ssl.KeyManager[] keyManagers = null;
        if (client != null) {
            javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(clientKeys(client[0], client[1]), KEY_PASSWORD);
            keyManagers = kmf.getKeyManagers();
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trustStore(caPemFile));
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers, tmf.getTrustManagers(), null);
        return context;
    }

    /** `<i> aborted <message>` for the JDK's certificate-change abort, `<i> error <message>` for anything else. */
    static String failure(int i, Exception e) {
        if (!(e instanceof SSLHandshakeException)) return i + " error " + e;
        String message = String.valueOf(e.getMessage());
        return i + (message.contains("server certificate change is restricted") ? " aborted " : " error ") + message;
    }

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String servername = args[2];
        SSLContext context = trusting(args[3], clientFiles(args, 6));
        int count = Integer.parseInt(args[4]);
        String[] protocols = args[5].split(",");
        java.util.Set<String> seenIds = new java.util.HashSet<>();
        for (int i = 0; i < count; i++) {
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(host, port)) {
                SSLParameters params = socket.getSSLParameters();
                params.setProtocols(protocols);
                // "-": no server_name at all, as the JDK sends for https://10.0.1.11:8081 or https://puppetdb:8081.
                params.setServerNames(servername.equals("-") ? List.of() : List.of(new SNIHostName(servername)));
                // No setEndpointIdentificationAlgorithm: the certificate-change check stays active.
                socket.setSSLParameters(params);
                socket.startHandshake();
                var session = socket.getSession();
                // A resumed TLS 1.2 session keeps the ID of the session it resumes.
                String id = java.util.HexFormat.of().formatHex(session.getId());
                boolean resumed = !id.isEmpty() && !seenIds.add(id);
                X509Certificate leaf = (X509Certificate) session.getPeerCertificates()[0];
                System.out.println(i + " " + (resumed ? "resumed" : "full") + " " + session.getProtocol() + " " + leaf.getSubjectX500Principal().getName());
            } catch (Exception e) {
                System.out.println(failure(i, e));
            }
            System.out.flush();
        }
    }
}
