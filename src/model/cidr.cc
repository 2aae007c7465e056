#include "model/cidr.h"

#include <charconv>

namespace openvpc::model {

namespace {

Error invalid(std::string_view what, std::string_view text) {
  return make_error("InvalidParameterValue", "Value (" + std::string(text) + ") for parameter " +
                                                 std::string(what) + " is invalid.");
}

}  // namespace

Result<uint32_t> parse_ipv4(std::string_view text) {
  uint32_t address = 0;
  std::string_view rest = text;
  for (int octet = 0; octet < 4; ++octet) {
    unsigned value = 0;
    if (rest.empty() || rest.size() > 15) return invalid("address", text);
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
    size_t used = static_cast<size_t>(end - rest.data());
    if (ec != std::errc() || value > 255 || used == 0 || used > 3) return invalid("address", text);
    address = (address << 8) | value;
    rest.remove_prefix(used);
    if (octet < 3) {
      if (rest.empty() || rest.front() != '.') return invalid("address", text);
      rest.remove_prefix(1);
    }
  }
  if (!rest.empty()) return invalid("address", text);
  return address;
}

std::string format_ipv4(uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." + std::to_string(address & 0xff);
}

Result<Ipv4Cidr> Ipv4Cidr::parse(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return invalid("cidrBlock", text);
  auto address = parse_ipv4(text.substr(0, slash));
  if (!address) return invalid("cidrBlock", text);
  std::string_view length_text = text.substr(slash + 1);
  int length = -1;
  auto [end, ec] =
      std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
  if (ec != std::errc() || end != length_text.data() + length_text.size() || length < 0 ||
      length > 32 || length_text.size() > 2) {
    return invalid("cidrBlock", text);
  }
  Ipv4Cidr cidr{*address, length};
  if ((cidr.base & ~cidr.mask()) != 0) return invalid("cidrBlock", text);
  return cidr;
}

std::string Ipv4Cidr::str() const {
  return format_ipv4(base) + "/" + std::to_string(prefix_length);
}

}  // namespace openvpc::model
