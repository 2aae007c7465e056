#include "program/cidr.h"

#include <cstdlib>

namespace openvpc::program {

namespace {

// Byte `i` of the network mask of a prefix `keep` bits long (over the 16-byte form).
uint8_t mask_byte(int keep, int i) {
  const int bits_here = keep - i * 8;
  if (bits_here >= 8) return 0xff;
  return bits_here <= 0 ? 0 : uint8_t(0xff << (8 - bits_here));
}

}  // namespace

Cidr Cidr::make(const IpAddress& address, uint8_t prefix_length) {
  Cidr c;
  const int width = address.is_v4() ? 32 : 128;
  c.prefix_length = uint8_t(prefix_length > width ? width : prefix_length);
  c.address = address;
  const int keep = c.mapped_prefix_length();
  for (int i = 0; i < 16; ++i) c.address.bytes[i] &= mask_byte(keep, i);
  return c;
}

bool Cidr::contains(const IpAddress& a) const {
  int bits = mapped_prefix_length();
  int i = 0;
  for (; bits >= 8; bits -= 8, ++i) {
    if (a.bytes[i] != address.bytes[i]) return false;
  }
  if (bits == 0) return true;
  const uint8_t mask = uint8_t(0xff << (8 - bits));
  return (a.bytes[i] & mask) == address.bytes[i];
}

bool Cidr::contains(const Cidr& other) const {
  return other.is_v4() == is_v4() && other.prefix_length >= prefix_length &&
         contains(other.address);
}

IpAddress Cidr::last() const {
  IpAddress a = address;
  const int keep = mapped_prefix_length();
  for (int i = 0; i < 16; ++i) a.bytes[i] |= uint8_t(~mask_byte(keep, i));
  return a;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const size_t slash = text.find('/');
  auto address = parse_address(text.substr(0, slash));
  if (!address) return std::nullopt;
  const int width = address->is_v4() ? 32 : 128;
  int length = width;
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    length = 0;
    for (char ch : digits) {
      if (ch < '0' || ch > '9') return std::nullopt;
      length = length * 10 + (ch - '0');
    }
    if (length > width) return std::nullopt;
  }
  return make(*address, uint8_t(length));
}

std::string Cidr::to_string() const {
  return format_address(address) + "/" + std::to_string(prefix_length);
}

std::string format_address(const IpAddress& a) {
  return a.to_string();
}

std::string format_mac(const MacAddress& m) {
  return m.to_string();
}

std::optional<IpAddress> parse_address(std::string_view text) {
  return IpAddress::parse(text);
}

std::optional<MacAddress> parse_mac(std::string_view text) {
  if (text.find('-') != std::string_view::npos) return std::nullopt;  // the program writes ':'
  return MacAddress::parse(text);
}

IpAddress address_literal(std::string_view text) {
  auto a = parse_address(text);
  if (!a) std::abort();
  return *a;
}

Cidr cidr_literal(std::string_view text) {
  auto c = Cidr::parse(text);
  if (!c) std::abort();
  return *c;
}

MacAddress mac_literal(std::string_view text) {
  auto m = parse_mac(text);
  if (!m) std::abort();
  return *m;
}

}  // namespace openvpc::program
