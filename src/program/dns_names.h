// dns_names.h — the DNS names EC2 gives addresses, shared by the API (which shows them) and the
// router's resolver (which answers them): one place for the spelling.
//
// Private: "ip-10-0-1-5.ec2.internal" in us-east-1, "ip-10-0-1-5.<region>.compute.internal"
// elsewhere. Public: "ec2-198-51-100-5.compute-1.amazonaws.com" in us-east-1,
// "ec2-198-51-100-5.<region>.compute.amazonaws.com" elsewhere. Inside a VPC with
// enableDnsHostnames a public name resolves to the private address behind it.
#pragma once

#include <string>
#include <string_view>

namespace openvpc::program {

std::string private_dns_zone(std::string_view region);
std::string public_dns_zone(std::string_view region);
// "10.0.1.5" -> "ip-10-0-1-5.<private zone>"; empty for an empty address.
std::string private_dns_name(std::string_view ipv4, std::string_view region);
// "198.51.100.5" -> "ec2-198-51-100-5.<public zone>"; empty for an empty address.
std::string public_dns_name(std::string_view ipv4, std::string_view region);

}  // namespace openvpc::program
