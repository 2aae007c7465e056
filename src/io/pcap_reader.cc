// pcap_reader.cc — capture files through libpcap (see pcap_reader.h).
#include "io/pcap_reader.h"

#include <pcap/pcap.h>

#include <utility>

namespace openvpc::io {

struct PcapReader::Handle {
  pcap_t* pcap = nullptr;
  ~Handle() {
    if (pcap != nullptr) pcap_close(pcap);
  }
};

PcapReader::PcapReader(std::unique_ptr<Handle> handle, PcapLinkType link_type)
    : handle_(std::move(handle)), link_type_(link_type) {}
PcapReader::PcapReader(PcapReader&& other) noexcept = default;
PcapReader& PcapReader::operator=(PcapReader&& other) noexcept = default;
PcapReader::~PcapReader() = default;

Result<PcapReader> PcapReader::open(const std::string& path) {
  char error[PCAP_ERRBUF_SIZE] = {};
  auto handle = std::make_unique<Handle>();
  // Nanosecond timestamps whatever the file has (libpcap scales microseconds up).
  handle->pcap =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, error);
  if (handle->pcap == nullptr) return make_error("io.pcap", path + ": " + error);
  const int link = pcap_datalink(handle->pcap);
  if (link == DLT_EN10MB) return PcapReader(std::move(handle), PcapLinkType::ethernet);
  if (link == DLT_RAW) return PcapReader(std::move(handle), PcapLinkType::raw);
  return make_error("io.pcap", path + ": unsupported link type " +
                                   std::string(pcap_datalink_val_to_name(link) != nullptr
                                                   ? pcap_datalink_val_to_name(link)
                                                   : std::to_string(link)));
}

std::optional<PcapRecord> PcapReader::next() {
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  if (pcap_next_ex(handle_->pcap, &header, &data) != 1) return std::nullopt;
  PcapRecord record;
  record.timestamp = std::chrono::seconds(header->ts.tv_sec) +
                     std::chrono::nanoseconds(header->ts.tv_usec);  // nanoseconds (see open)
  record.original_size = header->len;
  record.bytes = std::span<const uint8_t>(data, header->caplen);
  return record;
}

}  // namespace openvpc::io
