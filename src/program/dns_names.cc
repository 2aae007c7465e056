#include "program/dns_names.h"

#include <algorithm>

namespace openvpc::program {

namespace {

std::string dashed(std::string_view prefix, std::string_view ipv4, const std::string& zone) {
  if (ipv4.empty()) return {};
  std::string name(prefix);
  name.append(ipv4);
  std::replace(name.begin(), name.end(), '.', '-');
  return name + "." + zone;
}

}  // namespace

std::string private_dns_zone(std::string_view region) {
  return region == "us-east-1" ? std::string("ec2.internal")
                               : std::string(region) + ".compute.internal";
}

std::string public_dns_zone(std::string_view region) {
  return region == "us-east-1" ? std::string("compute-1.amazonaws.com")
                               : std::string(region) + ".compute.amazonaws.com";
}

std::string private_dns_name(std::string_view ipv4, std::string_view region) {
  return dashed("ip-", ipv4, private_dns_zone(region));
}

std::string public_dns_name(std::string_view ipv4, std::string_view region) {
  return dashed("ec2-", ipv4, public_dns_zone(region));
}

}  // namespace openvpc::program
