// dhcp.cc — DHCPv4 message parsing and reply writing.
#include "packet/dhcp.h"

#include <algorithm>

#include "packet/bytes.h"

namespace openvpc::packet {
namespace {

constexpr uint8_t kOptionPad = 0;
constexpr uint8_t kOptionSubnetMask = 1;
constexpr uint8_t kOptionRouter = 3;
constexpr uint8_t kOptionDnsServers = 6;
constexpr uint8_t kOptionDomainName = 15;
constexpr uint8_t kOptionMtu = 26;
constexpr uint8_t kOptionRequestedIp = 50;
constexpr uint8_t kOptionLeaseTime = 51;
constexpr uint8_t kOptionMessageType = 53;
constexpr uint8_t kOptionServerId = 54;
constexpr uint8_t kOptionParameterList = 55;
constexpr uint8_t kOptionEnd = 255;

DhcpError read_option(uint8_t code, std::span<const uint8_t> value, DhcpMessage& message) {
  switch (code) {
    case kOptionMessageType:
      if (value.size() != 1) return DhcpError::message_type_bad_length;
      message.message_type = DhcpMessageType(value[0]);
      break;
    case kOptionRequestedIp:
      if (value.size() == 4) message.requested_ip = IpAddress::v4_from_wire(value.data());
      break;
    case kOptionServerId:
      if (value.size() == 4) message.server_id = IpAddress::v4_from_wire(value.data());
      break;
    case kOptionParameterList:
      message.parameter_list = value;
      break;
    default:
      break;
  }
  return DhcpError::none;
}

// Appends options into a bounded buffer; remembers whether anything did not fit.
class OptionWriter {
 public:
  OptionWriter(uint8_t* out, size_t capacity) : out_(out), capacity_(capacity) {}
  void add(uint8_t code, std::span<const uint8_t> value) {
    if (value.size() > 255 || capacity_ - size_ < value.size() + 2 || failed_) {
      failed_ = true;
      return;
    }
    out_[size_++] = code;
    out_[size_++] = uint8_t(value.size());
    std::copy(value.begin(), value.end(), out_ + size_);
    size_ += value.size();
  }
  void add_address(uint8_t code, const IpAddress& address) {
    add(code, std::span<const uint8_t>(address.v4_wire(), 4));
  }
  void add_u32(uint8_t code, uint32_t value) {
    uint8_t bytes[4];
    store_be32(bytes, value);
    add(code, bytes);
  }
  size_t size() const { return size_; }
  bool failed() const { return failed_; }

 private:
  uint8_t* out_;
  size_t capacity_;
  size_t size_ = 0;
  bool failed_ = false;
};

void write_fixed_part(uint8_t* out, const DhcpReplySpec& spec) {
  std::fill_n(out, kDhcpFixedSize, 0);
  out[0] = 2;  // BOOTREPLY
  out[1] = 1;  // Ethernet
  out[2] = 6;
  store_be32(out + 4, spec.xid);
  store_be16(out + 10, spec.flags);
  if (spec.type != DhcpMessageType::nak) std::copy_n(spec.your_ip.v4_wire(), 4, out + 16);
  std::copy_n(spec.server_ip.v4_wire(), 4, out + 20);
  std::copy_n(spec.client_mac.bytes.data(), 6, out + 28);
  store_be32(out + kDhcpFixedSize, kDhcpMagicCookie);
}

void write_lease_options(OptionWriter& options, const DhcpReplySpec& spec) {
  options.add_address(kOptionSubnetMask, spec.subnet_mask);
  options.add_address(kOptionRouter, spec.router);
  if (!spec.dns_servers.empty()) {
    uint8_t servers[252];
    const size_t count = std::min<size_t>(spec.dns_servers.size(), sizeof servers / 4);
    for (size_t i = 0; i < count; ++i)
      std::copy_n(spec.dns_servers[i].v4_wire(), 4, servers + 4 * i);
    options.add(kOptionDnsServers, std::span<const uint8_t>(servers, count * 4));
  }
  if (!spec.domain_name.empty()) {
    options.add(kOptionDomainName,
                std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(spec.domain_name.data()),
                                         spec.domain_name.size()));
  }
  uint8_t mtu[2];
  store_be16(mtu, spec.mtu);
  options.add(kOptionMtu, mtu);
  options.add_u32(kOptionLeaseTime, spec.lease_seconds);
}

}  // namespace

DhcpMessage parse_dhcp(std::span<const uint8_t> payload) {
  DhcpMessage message;
  if (payload.size() < kDhcpFixedSize + 4) {
    message.error = DhcpError::truncated;
    return message;
  }
  const uint8_t* p = payload.data();
  if (load_be32(p + kDhcpFixedSize) != kDhcpMagicCookie) {
    message.error = DhcpError::bad_magic_cookie;
    return message;
  }
  if (p[1] != 1 || p[2] != 6) {
    message.error = DhcpError::not_ethernet;
    return message;
  }
  message.op = p[0];
  message.xid = load_be32(p + 4);
  message.flags = load_be16(p + 10);
  message.client_ip = IpAddress::v4_from_wire(p + 12);
  message.your_ip = IpAddress::v4_from_wire(p + 16);
  message.client_mac = MacAddress::from_wire(p + 28);
  size_t at = kDhcpFixedSize + 4;
  while (at < payload.size()) {
    const uint8_t code = p[at];
    if (code == kOptionEnd) break;
    if (code == kOptionPad) {
      ++at;
      continue;
    }
    if (payload.size() - at < 2 || p[at + 1] > payload.size() - at - 2) {
      message.error = DhcpError::option_truncated;
      return message;
    }
    const DhcpError error = read_option(code, payload.subspan(at + 2, p[at + 1]), message);
    if (error != DhcpError::none) {
      message.error = error;
      return message;
    }
    at += 2 + size_t(p[at + 1]);
  }
  return message;
}

size_t write_dhcp_reply(uint8_t* out, size_t capacity, const DhcpReplySpec& spec) {
  if (capacity < kDhcpFixedSize + 4) return 0;
  write_fixed_part(out, spec);
  // One byte is kept back for the End option.
  OptionWriter options(out + kDhcpFixedSize + 4, capacity - kDhcpFixedSize - 4 - 1);
  const uint8_t type = uint8_t(spec.type);
  options.add(kOptionMessageType, std::span<const uint8_t>(&type, 1));
  options.add_address(kOptionServerId, spec.server_ip);
  if (spec.type != DhcpMessageType::nak) write_lease_options(options, spec);
  for (const DhcpOption& option : spec.extra_options) options.add(option.code, option.value);
  if (options.failed()) return 0;
  const size_t end = kDhcpFixedSize + 4 + options.size();
  out[end] = kOptionEnd;
  return end + 1;
}

}  // namespace openvpc::packet
