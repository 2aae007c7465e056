#include "model/cidr.h"

#include <string>

namespace openvpc::model {

namespace {

Error invalid(std::string_view what, std::string_view text) {
  return make_error("InvalidParameterValue", "Value (" + std::string(text) + ") for parameter " +
                                                 std::string(what) + " is invalid.");
}

}  // namespace

Result<IpAddress> parse_ipv4(std::string_view text) {
  const auto address = program::parse_address(text);
  if (!address || !address->is_v4() || text.find(':') != std::string_view::npos) {
    return invalid("address", text);
  }
  return *address;
}

Result<Cidr> parse_ipv4_block(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos || text.size() - slash - 1 > 2) {
    return invalid("cidrBlock", text);
  }
  const auto address = parse_ipv4(text.substr(0, slash));
  const auto block = program::Cidr::parse(text);
  if (!address || !block || block->address != *address) {
    return invalid("cidrBlock", text);  // malformed, IPv6, or host bits set
  }
  return *block;
}

bool is_reserved(const Cidr& subnet, const IpAddress& address) {
  const uint32_t base = subnet.address.v4_host_order();
  const uint32_t a = address.v4_host_order();
  return a <= base + 3 || address == subnet.last();
}

int64_t address_count(const Cidr& block) {
  return int64_t{1} << (32 - block.prefix_length);
}

}  // namespace openvpc::model
