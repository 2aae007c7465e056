// cidr.h — IPv4 addresses and CIDR blocks as EC2 takes them from a request.
//
// The type is program::Cidr / program::IpAddress (program/cidr.h, the one CIDR type); this
// adds what the API promises on top: IPv4 only, dotted quads, a block needs its "/N" (0-32)
// and clear host bits ("10.0.0.1/16" is refused), and EC2's InvalidParameterValue text
// ("Value (X) for parameter cidrBlock is invalid."). It also knows EC2's reserved addresses.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/result.h"
#include "program/cidr.h"

namespace openvpc::model {

using program::Cidr;
using program::IpAddress;

// A dotted-quad IPv4 address; InvalidParameterValue (parameter "address") otherwise.
Result<IpAddress> parse_ipv4(std::string_view text);
// An IPv4 block "A.B.C.D/N"; InvalidParameterValue (parameter "cidrBlock") otherwise.
Result<Cidr> parse_ipv4_block(std::string_view text);

// EC2 reserves the network address, base+1 (router), base+2 (DNS), base+3, and the last.
bool is_reserved(const Cidr& subnet, const IpAddress& address);
// Addresses in an IPv4 block (2^(32-N)).
int64_t address_count(const Cidr& block);

}  // namespace openvpc::model
