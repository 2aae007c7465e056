// tls_peer.h — the identity (identity.h) of the peer of an OpenSSL connection, for servers
// that verified the peer's certificate themselves (the routers' HTTPS admin endpoint).
#pragma once

#include <openssl/ssl.h>

#include <string>

#include "common/result.h"
#include "pki/identity.h"

namespace openvpc::pki {

// "pki.invalid" when the connection has no verified peer certificate naming an id and a role.
Result<Identity> tls_peer_identity(const SSL* ssl);

// Sets up CTX for mutual TLS from DIR/{ca.pem,cert.pem,key.pem}: serves cert.pem, demands a
// client certificate signed by ca.pem. False (with nothing half set up that matters: the
// caller drops CTX) when a file is missing or does not fit.
bool configure_mutual_tls_server(SSL_CTX& ctx, const std::string& dir);

}  // namespace openvpc::pki
