// certificate_authority.h — the region's small CA for the mapping service and the admin
// endpoints (mutual TLS, README "Security").
//
// The controller opens (on first start: creates) the CA in DATA_DIR/pki: an EC P-256 key
// (ca-key.pem, mode 0600) and a self-signed certificate (ca.pem). Creation is race-free: both
// files are written (O_EXCL) into a fresh temporary folder that is then renamed to pki/; whoever
// loses the rename loads the winner's CA.
//
// issue() signs a leaf certificate for one party: CN = its id (a host id, a node id,
// "controller" or an operator's name), OU = its role (identity.h). Leaf certificates serve as
// both TLS client and server certificates. Rotating a host's key is issuing it again: every
// certificate the CA signed stays valid until it expires (there is no revocation list).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "pki/identity.h"

namespace openvpc::pki {

// What a party needs for mutual TLS, as PEM text.
struct Credentials {
  std::string ca_pem;    // the CA's certificate: peers are verified against it
  std::string cert_pem;  // this party's certificate
  std::string key_pem;   // this party's private key
};

struct IssueRequest {
  std::string id;                       // becomes the CN; [A-Za-z0-9._-], 1..64 characters
  Role role = Role::router;             // becomes the OU
  std::vector<std::string> dns_sans{};  // subjectAltName DNS entries (server certificates)
  std::vector<std::string> ip_sans{};   // subjectAltName IP entries, IPv4 or IPv6 text
  int valid_days = 825;
};

class CertificateAuthority {
 public:
  // Opens DIR (the CA folder, e.g. DATA_DIR/pki), creating the CA when DIR does not exist.
  // Errors: "pki.io" (cannot read or write), "pki.invalid" (files that are not a CA).
  static Result<CertificateAuthority> open_or_create(const std::string& dir);
  // Opens an existing CA only ("pki.missing" when DIR has none).
  static Result<CertificateAuthority> open(const std::string& dir);

  CertificateAuthority(CertificateAuthority&&) noexcept;
  CertificateAuthority& operator=(CertificateAuthority&&) noexcept;
  ~CertificateAuthority();

  const std::string& ca_pem() const;
  // A fresh key and a certificate signed by this CA. "pki.invalid" for a bad id or SAN.
  Result<Credentials> issue(const IssueRequest& request) const;

 private:
  struct State;
  explicit CertificateAuthority(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Where a controller with data directory DATA_DIR keeps the region's CA: DATA_DIR/pki.
std::string region_ca_dir(const std::string& data_dir);

// Writes DIR/{ca.pem,cert.pem,key.pem} (DIR created if missing; key.pem 0600, created with
// O_EXCL after removing an old one, so a reissue replaces the files).
Result<void> write_credentials(const std::string& dir, const Credentials& credentials);
// Reads DIR/{ca.pem,cert.pem,key.pem}; "pki.io" naming the file that cannot be read.
Result<Credentials> read_credentials(const std::string& dir);

}  // namespace openvpc::pki
