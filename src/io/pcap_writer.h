// pcap_writer.h — classic capture files (what tcpdump -w writes, tshark -r reads), by libpcap.
//
// A thin wrapper over libpcap's dumper (pcap_open_dead + pcap_dump_open / pcap_dump_fopen), so
// the file format is libpcap's own: microsecond timestamps, host byte order. One file, one link
// type: LINKTYPE_ETHERNET for an ENI's frames, LINKTYPE_RAW for bare IP (the underlay's outer
// packets, or a tenant packet without its Ethernet header). Packets longer than the snap
// length are cut to it and keep their original length in the record. The caller supplies
// every timestamp (no clock inside: tests are reproducible).
//
// Two sinks: a file (open()), or memory (open_buffer(): take() hands out what has been
// written so far, the file header first — for streaming a capture over HTTP). Writes are
// buffered (stdio); flush() pushes them on, the destructor too. Not thread-safe: one writer
// per thread, or a lock around it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
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

  // Creates (truncates) `path` and writes the file header. Errors: "io.pcap".
  static Result<PcapWriter> open(const std::string& path, PcapLinkType link_type,
                                 uint32_t snap_length = kDefaultSnapLength);
  // Writes into memory; take() returns the bytes.
  static Result<PcapWriter> open_buffer(PcapLinkType link_type,
                                        uint32_t snap_length = kDefaultSnapLength);

  PcapWriter(PcapWriter&& other) noexcept;
  PcapWriter& operator=(PcapWriter&& other) noexcept;
  ~PcapWriter();

  // Appends one packet captured at `timestamp` (time since the Unix epoch) whose length on
  // the wire was `original_size` (0: packet.size(); a packet already cut elsewhere says more).
  Result<void> write(std::span<const uint8_t> packet, std::chrono::nanoseconds timestamp,
                     uint32_t original_size = 0);
  Result<void> flush();
  // A buffer writer's bytes since the last take() (flushed first); empty for a file writer.
  std::string take();

  uint64_t packets_written() const;

 private:
  struct State;
  explicit PcapWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace openvpc::io
