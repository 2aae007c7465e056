// fuzz_pki_identity — libFuzzer target for reading identities from certificates
// (pki/identity.h): what a mapping-service or admin-endpoint peer presented.
//
// The invariant: no crash, no sanitizer report; text either names a valid id and a role or is
// an Error, and verifying it against itself as a CA never succeeds for a non-CA certificate.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pki/identity.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto identity = openvpc::pki::read_identity(text);
  if (identity && !openvpc::pki::valid_id(identity->id)) std::abort();
  (void)openvpc::pki::verify_certificate(text, text);
  openvpc::pki::Role role;
  (void)openvpc::pki::parse_role(text, role);
  return 0;
}
