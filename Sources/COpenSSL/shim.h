// OpenSSL 3 (Debian's libssl-dev), for the TLS module, the only code that calls it. Functions
// OpenSSL defines as macros, which Swift cannot call, are wrapped here.
#ifndef SWIFT_WSGI_OPENSSL_SHIM_H
#define SWIFT_WSGI_OPENSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/bio.h>

static inline int swsgi_ssl_ctx_set_min_tls12(SSL_CTX *context) {
    return (int)SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
}

/// SSL_write may take part of a buffer (memory BIOs never block, but a record is at most 16 KiB),
/// and the buffer of a retried write may move (the caller's chunks are not pinned between turns).
static inline void swsgi_ssl_ctx_set_write_modes(SSL_CTX *context) {
    SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
}

/// No renegotiation (a client-driven CPU cost, and an attack surface), the server's cipher order, no
/// compression (CRIME).
static inline void swsgi_ssl_ctx_set_safe_options(SSL_CTX *context) {
    SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
}

/// RFC 2253 form for a certificate's subject (`CN=client,O=Example`).
static inline unsigned long swsgi_name_flags_rfc2253(void) {
    return XN_FLAG_RFC2253;
}

/// The name a client sends (SNI).
static inline int swsgi_ssl_set_server_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

#endif
