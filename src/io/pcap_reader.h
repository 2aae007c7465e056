// pcap_reader.h — capture files read by libpcap (pcap_open_offline), for the replay tools.
//
// Whatever libpcap reads (classic pcap in either byte order, micro- or nanosecond, pcapng),
// with link type Ethernet or raw IP; any other link type fails open(). next() yields each
// record's captured bytes (valid until the next call), its original length and timestamp.
// Not for the data plane; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "common/result.h"
#include "io/pcap_writer.h"

namespace openvpc::io {

struct PcapRecord {
  std::chrono::nanoseconds timestamp{};  // since the Unix epoch
  uint32_t original_size = 0;
  std::span<const uint8_t> bytes;  // captured (maybe cut); valid until the next next()
};

class PcapReader {
 public:
  // Errors: "io.pcap" with libpcap's message, or the unsupported link type.
  static Result<PcapReader> open(const std::string& path);

  PcapReader(PcapReader&& other) noexcept;
  PcapReader& operator=(PcapReader&& other) noexcept;
  ~PcapReader();

  PcapLinkType link_type() const { return link_type_; }
  // The next record; nullopt at the end of the file or at a truncated record.
  std::optional<PcapRecord> next();

 private:
  struct Handle;
  PcapReader(std::unique_ptr<Handle> handle, PcapLinkType link_type);
  std::unique_ptr<Handle> handle_;
  PcapLinkType link_type_;
};

}  // namespace openvpc::io
