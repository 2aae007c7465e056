// pcap_writer.cc — capture files through libpcap's dumper (see pcap_writer.h).
#include "io/pcap_writer.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace openvpc::io {
namespace {

int dlt_of(PcapLinkType link_type) {
  return link_type == PcapLinkType::ethernet ? DLT_EN10MB : DLT_RAW;
}

}  // namespace

struct PcapWriter::State {
  pcap_t* dead = nullptr;  // what pcap_dump_* need: the link type and snap length
  pcap_dumper_t* dumper = nullptr;
  uint32_t snap_length = 0;
  uint64_t packets_written = 0;
  std::string buffer;  // open_buffer(): what the cookie stream wrote

  ~State() {
    if (dumper != nullptr) pcap_dump_close(dumper);  // flushes and closes the FILE
    if (dead != nullptr) pcap_close(dead);
  }
};

namespace {

Error pcap_error(const std::string& what, const std::string& why) {
  return make_error("io.pcap", what + ": " + why);
}

// The FILE of open_buffer(): every write appends to State::buffer.
ssize_t append_to_buffer(void* cookie, const char* data, size_t size) {
  static_cast<std::string*>(cookie)->append(data, size);
  return ssize_t(size);
}

}  // namespace

PcapWriter::PcapWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
PcapWriter::PcapWriter(PcapWriter&& other) noexcept = default;
PcapWriter& PcapWriter::operator=(PcapWriter&& other) noexcept = default;
PcapWriter::~PcapWriter() = default;

Result<PcapWriter> PcapWriter::open(const std::string& path, PcapLinkType link_type,
                                    uint32_t snap_length) {
  auto state = std::make_unique<State>();
  state->snap_length = snap_length;
  state->dead = pcap_open_dead(dlt_of(link_type), int(snap_length));
  if (state->dead == nullptr) return pcap_error("open " + path, "pcap_open_dead failed");
  state->dumper = pcap_dump_open(state->dead, path.c_str());
  if (state->dumper == nullptr) return pcap_error("open " + path, pcap_geterr(state->dead));
  return PcapWriter(std::move(state));
}

Result<PcapWriter> PcapWriter::open_buffer(PcapLinkType link_type, uint32_t snap_length) {
  auto state = std::make_unique<State>();
  state->snap_length = snap_length;
  state->dead = pcap_open_dead(dlt_of(link_type), int(snap_length));
  if (state->dead == nullptr) return pcap_error("buffer", "pcap_open_dead failed");
  cookie_io_functions_t functions{};
  functions.write = append_to_buffer;
  std::FILE* file = fopencookie(&state->buffer, "w", functions);
  if (file == nullptr) return pcap_error("buffer", std::strerror(errno));
  state->dumper = pcap_dump_fopen(state->dead, file);
  if (state->dumper == nullptr) {
    std::fclose(file);
    return pcap_error("buffer", pcap_geterr(state->dead));
  }
  return PcapWriter(std::move(state));
}

Result<void> PcapWriter::write(std::span<const uint8_t> packet, std::chrono::nanoseconds timestamp,
                               uint32_t original_size) {
  const auto total_us = std::chrono::duration_cast<std::chrono::microseconds>(timestamp).count();
  pcap_pkthdr header{};
  header.ts.tv_sec = time_t(total_us / 1000000);
  header.ts.tv_usec = suseconds_t(total_us % 1000000);
  header.len = original_size != 0 ? original_size : uint32_t(packet.size());
  header.caplen = std::min<uint32_t>(uint32_t(packet.size()), state_->snap_length);
  pcap_dump(reinterpret_cast<u_char*>(state_->dumper), &header, packet.data());
  if (std::ferror(pcap_dump_file(state_->dumper))) {
    return pcap_error("write", std::strerror(errno));
  }
  ++state_->packets_written;
  return {};
}

Result<void> PcapWriter::flush() {
  if (pcap_dump_flush(state_->dumper) != 0) return pcap_error("flush", std::strerror(errno));
  return {};
}

std::string PcapWriter::take() {
  (void)pcap_dump_flush(state_->dumper);
  return std::exchange(state_->buffer, {});
}

uint64_t PcapWriter::packets_written() const {
  return state_->packets_written;
}

}  // namespace openvpc::io
