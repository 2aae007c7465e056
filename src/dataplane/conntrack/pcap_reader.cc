#include "dataplane/conntrack/pcap_reader.h"

#include <cstring>
#include <fstream>
#include <iterator>

namespace openvpc::conntrack {

uint32_t PcapReader::read32(size_t offset) const {
  uint32_t v;
  std::memcpy(&v, &data_[offset], 4);
  return swapped_ ? __builtin_bswap32(v) : v;
}

std::optional<PcapReader> PcapReader::open(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open " + path;
    return std::nullopt;
  }
  PcapReader r;
  r.data_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (r.data_.size() < 24) {
    error = "too short for a pcap header";
    return std::nullopt;
  }
  uint32_t magic;
  std::memcpy(&magic, r.data_.data(), 4);
  if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
    r.swapped_ = true;
  } else if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
    error = "not a pcap file (pcapng is not supported)";
    return std::nullopt;
  }
  r.link_type_ = r.read32(20) & 0xffff;
  if (r.link_type_ != 1 && r.link_type_ != 101) {
    error = "unsupported link type " + std::to_string(r.link_type_);
    return std::nullopt;
  }
  return r;
}

std::optional<PcapRecord> PcapReader::next() {
  if (at_ + 16 > data_.size()) return std::nullopt;
  const uint32_t seconds = read32(at_);
  const uint32_t captured = read32(at_ + 8);
  if (captured > data_.size() - at_ - 16) return std::nullopt;  // truncated file
  PcapRecord record{seconds, std::span<const uint8_t>(&data_[at_ + 16], captured)};
  at_ += 16 + size_t(captured);
  return record;
}

}  // namespace openvpc::conntrack
