#include "pki/tls_peer.h"

#include "pki/openssl_handles.h"

namespace openvpc::pki {

Result<Identity> tls_peer_identity(const SSL* ssl) {
  if (ssl == nullptr) return make_error("pki.invalid", "not a TLS connection");
  if (SSL_get_verify_result(ssl) != X509_V_OK) {
    return make_error("pki.invalid", "the peer's certificate did not verify");
  }
  X509Ptr cert(SSL_get1_peer_certificate(ssl));
  if (!cert) return make_error("pki.invalid", "the peer sent no certificate");
  return read_identity(certificate_pem(cert.get()));
}

bool configure_mutual_tls_server(SSL_CTX& ctx, const std::string& dir) {
  const std::string ca = dir + "/ca.pem", cert = dir + "/cert.pem", key = dir + "/key.pem";
  if (SSL_CTX_use_certificate_chain_file(&ctx, cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(&ctx, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(&ctx) != 1 ||
      SSL_CTX_load_verify_locations(&ctx, ca.c_str(), nullptr) != 1) {
    return false;
  }
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return true;
}

}  // namespace openvpc::pki
