// pcap_writer.cc — classic pcap files (see pcap_writer.h).
#include "io/pcap_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace openvpc::io {
namespace {

constexpr uint32_t kMagicMicroseconds = 0xa1b2c3d4;

struct FileHeader {
  uint32_t magic = kMagicMicroseconds;
  uint16_t version_major = 2;
  uint16_t version_minor = 4;
  int32_t this_zone = 0;
  uint32_t sigfigs = 0;
  uint32_t snap_length = 0;
  uint32_t link_type = 0;
};
static_assert(sizeof(FileHeader) == 24);

struct RecordHeader {
  uint32_t seconds = 0;
  uint32_t microseconds = 0;
  uint32_t captured_size = 0;
  uint32_t original_size = 0;
};
static_assert(sizeof(RecordHeader) == 16);

Error errno_error(const std::string& what, int error) {
  return make_error("io.pcap", what + ": " + std::strerror(error));
}

}  // namespace

Result<PcapWriter> PcapWriter::open(const std::string& path, PcapLinkType link_type,
                                    uint32_t snap_length) {
  std::FILE* file = std::fopen(path.c_str(), "wbe");
  if (!file) return errno_error("open " + path, errno);
  PcapWriter writer(file, snap_length);
  FileHeader header;
  header.snap_length = snap_length;
  header.link_type = uint32_t(link_type);
  if (std::fwrite(&header, sizeof header, 1, file) != 1) return errno_error("write " + path, errno);
  return writer;
}

PcapWriter::PcapWriter(PcapWriter&& other) noexcept
    : file_(std::exchange(other.file_, nullptr)),
      snap_length_(other.snap_length_),
      packets_written_(other.packets_written_) {}

PcapWriter& PcapWriter::operator=(PcapWriter&& other) noexcept {
  if (this != &other) {
    if (file_) std::fclose(file_);
    file_ = std::exchange(other.file_, nullptr);
    snap_length_ = other.snap_length_;
    packets_written_ = other.packets_written_;
  }
  return *this;
}

PcapWriter::~PcapWriter() {
  if (file_) std::fclose(file_);
}

Result<void> PcapWriter::write(std::span<const uint8_t> packet,
                               std::chrono::nanoseconds timestamp) {
  const auto total_us = std::chrono::duration_cast<std::chrono::microseconds>(timestamp).count();
  RecordHeader record;
  record.seconds = uint32_t(total_us / 1000000);
  record.microseconds = uint32_t(total_us % 1000000);
  record.original_size = uint32_t(packet.size());
  record.captured_size = std::min<uint32_t>(record.original_size, snap_length_);
  if (std::fwrite(&record, sizeof record, 1, file_) != 1 ||
      (record.captured_size && std::fwrite(packet.data(), record.captured_size, 1, file_) != 1)) {
    return errno_error("pcap write", errno);
  }
  ++packets_written_;
  return {};
}

Result<void> PcapWriter::flush() {
  if (std::fflush(file_) != 0) return errno_error("pcap flush", errno);
  return {};
}

}  // namespace openvpc::io
