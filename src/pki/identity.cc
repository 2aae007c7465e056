#include "pki/identity.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <array>
#include <memory>

#include "pki/openssl_handles.h"

namespace openvpc::pki {

namespace {

constexpr std::array<std::string_view, size_t(Role::count_)> kRoleNames = {
    "router", "edge", "hyperplane", "operator", "controller"};

std::string name_entry(X509_NAME* name, int nid) {
  int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return {};
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) return {};
  std::string text(reinterpret_cast<char*>(utf8), size_t(length));
  OPENSSL_free(utf8);
  return text;
}

}  // namespace

std::string_view to_string(Role role) {
  return role < Role::count_ ? kRoleNames[size_t(role)] : "unknown";
}

bool parse_role(std::string_view text, Role& role) {
  for (size_t i = 0; i < kRoleNames.size(); ++i) {
    if (kRoleNames[i] == text) {
      role = Role(i);
      return true;
    }
  }
  return false;
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<Identity> read_identity(std::string_view cert_pem) {
  X509Ptr cert = parse_certificate(cert_pem);
  if (!cert) return make_error("pki.invalid", "not a PEM certificate");
  X509_NAME* subject = X509_get_subject_name(cert.get());
  Identity identity;
  identity.id = name_entry(subject, NID_commonName);
  std::string role = name_entry(subject, NID_organizationalUnitName);
  if (!valid_id(identity.id)) return make_error("pki.invalid", "the certificate has no valid CN");
  if (!parse_role(role, identity.role)) {
    return make_error("pki.invalid", "the certificate's OU is not a role: '" + role + "'");
  }
  return identity;
}

Result<void> verify_certificate(std::string_view cert_pem, std::string_view ca_pem) {
  X509Ptr cert = parse_certificate(cert_pem);
  X509Ptr ca = parse_certificate(ca_pem);
  if (!cert || !ca) return make_error("pki.invalid", "not a PEM certificate");
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> context(X509_STORE_CTX_new(),
                                                                          &X509_STORE_CTX_free);
  if (!store || !context || X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
      X509_STORE_CTX_init(context.get(), store.get(), cert.get(), nullptr) != 1) {
    return make_error("pki.io", "cannot set up certificate verification");
  }
  if (X509_verify_cert(context.get()) != 1) {
    int code = X509_STORE_CTX_get_error(context.get());
    return make_error("pki.untrusted", X509_verify_cert_error_string(code));
  }
  return {};
}

}  // namespace openvpc::pki
