/*
 * A hostile server for the probe's tests: after each handshake it floods the client with post-handshake messages
 * that carry no application data, until the client goes away or `count` is reached. MODE:
 *   keyupdate    TLS 1.3 only; KeyUpdate after KeyUpdate (SSL_key_update + SSL_do_handshake, RFC 8446 4.6.3)
 *   tickets      TLS 1.3 only; NewSessionTicket after NewSessionTicket (SSL_new_session_ticket, RFC 8446 4.6.1)
 *   renegotiate  TLS 1.2 only; HelloRequest after HelloRequest, each renegotiation completed (RFC 5246 7.4.1.1)
 * Usage: post-handshake-flood MODE CERT KEY COUNT; prints "listening on PORT" (127.0.0.1, a free port).
 * Compiled at test time (gcc -lssl -lcrypto): neither Node nor Python can send a KeyUpdate or a HelloRequest.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static int flood_once(SSL *ssl, const char *mode) {
  if (!strcmp(mode, "keyupdate")) return SSL_key_update(ssl, SSL_KEY_UPDATE_NOT_REQUESTED) == 1 && SSL_do_handshake(ssl) == 1;
  if (!strcmp(mode, "tickets")) return SSL_new_session_ticket(ssl) == 1 && SSL_do_handshake(ssl) == 1;
  /* renegotiate: the HelloRequest goes out; reading (the socket times out after 2 ms, see main) takes the client's
     ClientHello and completes the renegotiation inside SSL_read. */
  if (SSL_renegotiate(ssl) != 1 || SSL_do_handshake(ssl) != 1) return 0;
  for (int tries = 0; tries < 200 && SSL_renegotiate_pending(ssl); tries++) {
    char byte;
    if (SSL_read(ssl, &byte, 1) <= 0 && SSL_get_error(ssl, 0) != SSL_ERROR_WANT_READ && SSL_get_error(ssl, 0) != SSL_ERROR_SYSCALL) return 0;
  }
  return !SSL_renegotiate_pending(ssl);
}

/* The client went away (EOF or reset): OpenSSL does not always say so, and a ticket loop would run on alone. */
static int peer_gone(int fd) {
  char byte;
  ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

int main(int argc, char **argv) {
  if (argc < 5) return 2;
  const char *mode = argv[1];
  signal(SIGPIPE, SIG_IGN);
  signal(SIGCHLD, SIG_IGN);
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  int tls12 = !strcmp(mode, "renegotiate");
  SSL_CTX_set_min_proto_version(ctx, tls12 ? TLS1_2_VERSION : TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx, tls12 ? TLS1_2_VERSION : TLS1_3_VERSION);
  SSL_CTX_set_num_tickets(ctx, 0);
  if (SSL_CTX_use_certificate_chain_file(ctx, argv[2]) != 1 || SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1) {
    ERR_print_errors_fp(stderr);
    return 1;
  }
  long count = atol(argv[4]);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 64)) return 1;
  socklen_t l = sizeof a;
  getsockname(s, (struct sockaddr *)&a, &l);
  printf("listening on %d\n", ntohs(a.sin_port));
  fflush(stdout);
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    /* One process per connection, as a real server serves clients concurrently; it ends when its client goes. */
    if (fork() != 0) {
      close(c);
      continue;
    }
    close(s);
    /* The child does not hold the parent's pipes: the test's view of the server ends when the parent ends. */
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, c);
    if (SSL_accept(ssl) == 1) {
      struct timeval wait = {0, 2000};
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
      for (long i = 0; i < count; i++)
      {
        errno = 0;
        /* A ticket whose write failed (EPIPE) still reports success: the write's errno says the client is gone. */
        if (peer_gone(c) || !flood_once(ssl, mode) || errno == EPIPE || errno == ECONNRESET) break;
      }
    }
    SSL_free(ssl);
    close(c);
    _exit(0);
  }
}
