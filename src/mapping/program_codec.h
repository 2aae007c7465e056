// program_codec.h — program::Program <-> its wire form (proto/mapping.proto), lossless.
//
// encode() writes every field; decode(encode(p)) equals p field for field, list order included.
// decode() is where an untrusted program enters the router: it checks what the types cannot
// (address and MAC sizes, prefix lengths within the family, ports and rule numbers within 16
// bits, enum values known, protocol -1..255; a load balancer's listener and target ports 1-65535
// and health check interval non-zero; a mapping not both a NAT gateway's and a load
// balancer's) and returns "mapping.invalid_program" otherwise.
// It does not check references (dataplane::compile does). IPv4 addresses travel as 4 bytes,
// IPv6 as 16; a 16-byte IPv4-mapped address decodes to the same IPv4 address.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "mapping.pb.h"
#include "program/program.h"

namespace openvpc::mapping {

wire::Program encode(const program::Program& program);
Result<program::Program> decode(const wire::Program& message);

wire::Mapping encode(const program::Mapping& mapping);
Result<program::Mapping> decode(const wire::Mapping& message);

std::string encode_address(const program::IpAddress& address);
// nullopt unless `bytes` is 4 or 16 bytes long.
std::optional<program::IpAddress> decode_address(std::string_view bytes);

}  // namespace openvpc::mapping
