// pcap_writer.h — classic libpcap capture files (what tcpdump -w writes, tshark -r reads).
//
// One file, one link type: LINKTYPE_ETHERNET for an ENI's frames, LINKTYPE_RAW for bare IP
// (the underlay's outer packets, or a tenant packet without its Ethernet header). Records
// are microsecond-resolution, little-endian (magic 0xa1b2c3d4 in host order); packets
// longer than the snap length are cut to it and keep their original length in the record.
// The caller supplies every timestamp (no clock inside: tests are reproducible).
//
// Writes are buffered (stdio); flush() pushes them to the file, the destructor too. Not
// thread-safe: one writer per thread, or a lock around it.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

#include "common/result.h"

namespace openvpc::io {

enum class PcapLinkType : uint32_t {
  ethernet = 1,  // LINKTYPE_ETHERNET
  raw = 101,     // LINKTYPE_RAW: starts at an IPv4 or IPv6 header
};

class PcapWriter {
 public:
  static constexpr uint32_t kDefaultSnapLength = 262144;

  // Creates (truncates) `path` and writes the file header.
  static Result<PcapWriter> open(const std::string& path, PcapLinkType link_type,
                                 uint32_t snap_length = kDefaultSnapLength);

  PcapWriter(PcapWriter&& other) noexcept;
  PcapWriter& operator=(PcapWriter&& other) noexcept;
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;
  ~PcapWriter();

  // Appends one packet captured at `timestamp` (time since the Unix epoch).
  Result<void> write(std::span<const uint8_t> packet, std::chrono::nanoseconds timestamp);
  Result<void> flush();

  uint64_t packets_written() const { return packets_written_; }

 private:
  PcapWriter(std::FILE* file, uint32_t snap_length) : file_(file), snap_length_(snap_length) {}

  std::FILE* file_ = nullptr;
  uint32_t snap_length_ = kDefaultSnapLength;
  uint64_t packets_written_ = 0;
};

}  // namespace openvpc::io
