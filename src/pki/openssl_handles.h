// openssl_handles.h — owning handles for the OpenSSL objects src/pki uses, and PEM parsing.
// Internal to src/pki.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

namespace openvpc::pki {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

X509Ptr parse_certificate(std::string_view pem);
KeyPtr parse_private_key(std::string_view pem);
std::string certificate_pem(X509* cert);
std::string private_key_pem(EVP_PKEY* key);

}  // namespace openvpc::pki
