// pcap_reader.h — a minimal reader of classic pcap files (tcpdump -w), for the replay tool.
//
// Reads the whole file once; next() yields each record's bytes and timestamp. Supports
// micro- and nanosecond magic in either byte order, link types Ethernet (1) and raw IP
// (101); anything else fails open() with a message. Not for the data plane.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace openvpc::conntrack {

struct PcapRecord {
  uint32_t seconds = 0;
  std::span<const uint8_t> bytes;
};

class PcapReader {
 public:
  // Empty optional and `error` set when the file cannot be read or is not a pcap.
  static std::optional<PcapReader> open(const std::string& path, std::string& error);
  bool ethernet() const { return link_type_ == 1; }
  std::optional<PcapRecord> next();

 private:
  std::vector<uint8_t> data_;
  size_t at_ = 24;
  bool swapped_ = false;
  uint32_t link_type_ = 0;
  uint32_t read32(size_t offset) const;
};

}  // namespace openvpc::conntrack
