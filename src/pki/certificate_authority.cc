#include "pki/certificate_authority.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "pki/openssl_handles.h"

namespace openvpc::pki {

namespace {

constexpr const char* kCaCert = "ca.pem";
constexpr const char* kCaKey = "ca-key.pem";

Error io_error(const std::string& what, const std::string& path) {
  return make_error("pki.io", what + " " + path + ": " + std::strerror(errno));
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot read", path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Creates PATH (it must not exist) with MODE and writes TEXT.
Result<void> write_new_file(const std::string& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return io_error("cannot create", path);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Error error = io_error("cannot write", path);
      ::close(fd);
      return error;
    }
    done += size_t(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return io_error("cannot write", path);
  return {};
}

KeyPtr generate_key() {
  return KeyPtr(EVP_EC_gen("P-256"));
}

bool add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  if (extension == nullptr) return false;
  bool ok = X509_add_ext(cert, extension, -1) == 1;
  X509_EXTENSION_free(extension);
  return ok;
}

bool set_serial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return false;
  bytes[0] &= 0x7f;  // positive
  BIGNUM* number = BN_bin2bn(bytes, sizeof bytes, nullptr);
  bool ok = number != nullptr && BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert));
  BN_free(number);
  return ok;
}

struct CertSpec {
  std::string cn;
  std::string ou;
  int days = 0;
  bool is_ca = false;
  std::string san;  // "DNS:a,IP:1.2.3.4" or empty
};

// A certificate for KEY, signed by SIGNER (issuer ISSUER; nullptr: self-signed).
X509Ptr build_certificate(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* signer) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1 || !set_serial(cert.get())) return nullptr;
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);  // tolerate clock skew
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), long(spec.days) * 86400);
  X509_NAME* name = X509_get_subject_name(cert.get());
  auto text = [](const std::string& s) {
    return reinterpret_cast<const unsigned char*>(s.c_str());
  };
  if (X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8, text(spec.ou), -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, text(spec.cn), -1, -1, 0) != 1) {
    return nullptr;
  }
  X509* issuer_cert = issuer != nullptr ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert)) != 1 ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return nullptr;
  }
  bool ok = true;
  if (spec.is_ca) {
    ok = add_extension(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:TRUE") &&
         add_extension(cert.get(), issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign") &&
         add_extension(cert.get(), issuer_cert, NID_subject_key_identifier, "hash");
  } else {
    ok = add_extension(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:FALSE") &&
         add_extension(cert.get(), issuer_cert, NID_key_usage, "critical,digitalSignature") &&
         add_extension(cert.get(), issuer_cert, NID_ext_key_usage, "serverAuth,clientAuth") &&
         add_extension(cert.get(), issuer_cert, NID_authority_key_identifier, "keyid:always") &&
         (spec.san.empty() ||
          add_extension(cert.get(), issuer_cert, NID_subject_alt_name, spec.san));
  }
  if (!ok || X509_sign(cert.get(), signer, EVP_sha256()) <= 0) return nullptr;
  return cert;
}

}  // namespace

struct CertificateAuthority::State {
  std::string ca_pem;
  X509Ptr cert;
  KeyPtr key;
};

CertificateAuthority::CertificateAuthority(std::unique_ptr<State> state)
    : state_(std::move(state)) {}
CertificateAuthority::CertificateAuthority(CertificateAuthority&&) noexcept = default;
CertificateAuthority& CertificateAuthority::operator=(CertificateAuthority&&) noexcept = default;
CertificateAuthority::~CertificateAuthority() = default;

const std::string& CertificateAuthority::ca_pem() const {
  return state_->ca_pem;
}

Result<CertificateAuthority> CertificateAuthority::open(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir + "/" + kCaKey, ec)) {
    return make_error("pki.missing", "no CA in " + dir + " (the controller creates it)");
  }
  auto cert_text = read_file(dir + "/" + kCaCert);
  if (!cert_text) return cert_text.error();
  auto key_text = read_file(dir + "/" + kCaKey);
  if (!key_text) return key_text.error();
  auto state = std::make_unique<State>();
  state->ca_pem = *cert_text;
  state->cert = parse_certificate(*cert_text);
  state->key = parse_private_key(*key_text);
  if (!state->cert || !state->key ||
      X509_check_private_key(state->cert.get(), state->key.get()) != 1 ||
      X509_check_ca(state->cert.get()) == 0) {
    return make_error("pki.invalid", dir + " does not hold a CA certificate and its key");
  }
  return CertificateAuthority(std::move(state));
}

Result<CertificateAuthority> CertificateAuthority::open_or_create(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) return open(dir);
  std::filesystem::path parent = std::filesystem::path(dir).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::string scratch = dir + ".new-XXXXXX";
  if (::mkdtemp(scratch.data()) == nullptr) return io_error("cannot create", scratch);
  auto remove_scratch = [&] { std::filesystem::remove_all(scratch, ec); };
  KeyPtr key = generate_key();
  X509Ptr cert;
  if (key)
    cert = build_certificate({"openvpc-ca", "ca", 3650, true, ""}, key.get(), nullptr, key.get());
  if (!cert) {
    remove_scratch();
    return make_error("pki.io", "cannot generate the CA key and certificate");
  }
  auto wrote_key = write_new_file(scratch + "/" + kCaKey, private_key_pem(key.get()), 0600);
  auto wrote_cert = wrote_key
                        ? write_new_file(scratch + "/" + kCaCert, certificate_pem(cert.get()), 0644)
                        : wrote_key;
  if (!wrote_cert) {
    remove_scratch();
    return wrote_cert.error();
  }
  ::chmod(scratch.c_str(), 0700);
  if (::rename(scratch.c_str(), dir.c_str()) != 0) {
    int lost = errno;
    remove_scratch();
    if (lost != EEXIST && lost != ENOTEMPTY) {
      errno = lost;
      return io_error("cannot create", dir);
    }
  }
  return open(dir);  // ours, or the one that won the rename
}

Result<Credentials> CertificateAuthority::issue(const IssueRequest& request) const {
  if (!valid_id(request.id)) {
    return make_error("pki.invalid", "bad id '" + request.id + "' (1..64 of A-Z a-z 0-9 . _ -)");
  }
  std::string san;
  for (const auto& name : request.dns_sans) {
    if (!valid_id(name)) return make_error("pki.invalid", "bad DNS name '" + name + "'");
    san += (san.empty() ? "DNS:" : ",DNS:") + name;
  }
  for (const auto& address : request.ip_sans) {
    unsigned char buffer[16];
    if (::inet_pton(AF_INET, address.c_str(), buffer) != 1 &&
        ::inet_pton(AF_INET6, address.c_str(), buffer) != 1) {
      return make_error("pki.invalid", "bad IP address '" + address + "'");
    }
    san += (san.empty() ? "IP:" : ",IP:") + address;
  }
  KeyPtr key = generate_key();
  X509Ptr cert;
  CertSpec spec{request.id, std::string(to_string(request.role)), request.valid_days, false, san};
  if (key) cert = build_certificate(spec, key.get(), state_->cert.get(), state_->key.get());
  if (!cert) return make_error("pki.io", "cannot issue a certificate for " + request.id);
  return Credentials{state_->ca_pem, certificate_pem(cert.get()), private_key_pem(key.get())};
}

std::string region_ca_dir(const std::string& data_dir) {
  return data_dir + "/pki";
}

Result<void> write_credentials(const std::string& dir, const Credentials& credentials) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error("pki.io", "cannot create " + dir + ": " + ec.message());
  for (const char* name : {"ca.pem", "cert.pem", "key.pem"}) {
    std::filesystem::remove(dir + "/" + name, ec);
  }
  if (auto r = write_new_file(dir + "/key.pem", credentials.key_pem, 0600); !r) return r;
  if (auto r = write_new_file(dir + "/cert.pem", credentials.cert_pem, 0644); !r) return r;
  return write_new_file(dir + "/ca.pem", credentials.ca_pem, 0644);
}

Result<Credentials> read_credentials(const std::string& dir) {
  Credentials credentials;
  for (auto [name, field] :
       {std::pair{"ca.pem", &credentials.ca_pem}, std::pair{"cert.pem", &credentials.cert_pem},
        std::pair{"key.pem", &credentials.key_pem}}) {
    auto text = read_file(dir + "/" + name);
    if (!text) return text.error();
    *field = std::move(*text);
  }
  return credentials;
}

}  // namespace openvpc::pki
