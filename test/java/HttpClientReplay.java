import java.net.InetAddress;
import javax.net.ssl.SSLContext;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpGet;
import org.apache.http.conn.ssl.SSLConnectionSocketFactory;
import org.apache.http.impl.NoConnectionReuseStrategy;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.util.EntityUtils;

/**
 * Apache HttpClient 4.5 (Debian libhttpclient-java), as Puppet's clj-http-client and most Java services use it: one
 * client, one SSLContext, its own hostname verifier (which does NOT set an endpoint identification algorithm), a
 * new connection per request. N requests to https://servername:port/ with servername resolved to host. Prints:
 *   <i> ok <status>      or      <i> aborted <message>      or      <i> error <message>
 * Args: host port servername caPemFile count protocols(comma-separated) [clientChain.pem:clientKey.pem]
 */
public class HttpClientReplay {
    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String servername = args[2];
        String[] clientFiles = ResumeReplay.clientFiles(args, 6);
        // Puppet Server's set-up: SSLContextBuilder with the host's key material (loadKeyMaterial) and the CA.
        org.apache.http.ssl.SSLContextBuilder builder = org.apache.http.ssl.SSLContexts.custom().loadTrustMaterial(ResumeReplay.trustStore(args[3]), null);
        if (clientFiles != null) builder.loadKeyMaterial(ResumeReplay.clientKeys(clientFiles[0], clientFiles[1]), ResumeReplay.KEY_PASSWORD);
        SSLContext context = builder.build();
        int count = Integer.parseInt(args[4]);
        String[] protocols = args[5].split(",");
        SSLConnectionSocketFactory sockets = new SSLConnectionSocketFactory(context, protocols, null, SSLConnectionSocketFactory.getDefaultHostnameVerifier());
        InetAddress address = InetAddress.getByName(host);
        try (CloseableHttpClient client = HttpClients.custom()
                .setSSLSocketFactory(sockets)
                .setConnectionReuseStrategy(NoConnectionReuseStrategy.INSTANCE)
                .setDnsResolver(name -> new InetAddress[] {address})
                .build()) {
            for (int i = 0; i < count; i++) {
                try (CloseableHttpResponse response = client.execute(new HttpGet("https://" + servername + ":" + port + "/"))) {
                    EntityUtils.consume(response.getEntity());
                    System.out.println(i + " ok " + response.getStatusLine().getStatusCode());
                } catch (Exception e) {
                    System.out.println(ResumeReplay.failure(i, e));
                }
                System.out.flush();
            }
        }
    }
}
