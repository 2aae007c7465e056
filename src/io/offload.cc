// offload.cc — software checksum completion and TCP segmentation (see offload.h).
#include "io/offload.h"

#include <cstring>

#include "packet/bytes.h"
#include "packet/checksum.h"

namespace openvpc::io {
namespace {

using packet::load_be16;
using packet::load_be32;
using packet::store_be16;
using packet::store_be32;

constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpPsh = 0x08;
constexpr uint8_t kTcpCwr = 0x80;
constexpr uint32_t kIpv6HeaderSize = 40;

// The packet's shape as segment_tcp needs it. Offsets are from the start of the frame.
struct TcpLayout {
  OffloadError error = OffloadError::none;
  bool ipv4 = false;
  uint32_t l3_offset = 0;
  uint32_t l4_offset = 0;
  uint32_t headers_end = 0;  // first payload byte
  uint32_t end = 0;          // one past the last byte of the IP packet
};

TcpLayout find_ip(std::span<const uint8_t> frame, const VirtioNetHeader& vnet, uint32_t l3) {
  TcpLayout t;
  t.l3_offset = l3;
  if (l3 >= frame.size()) return t.error = OffloadError::not_ip, t;
  const uint8_t* ip = frame.data() + l3;
  const uint32_t available = uint32_t(frame.size()) - l3;
  const uint8_t version = ip[0] >> 4;
  const uint8_t gso = vnet.gso_type & ~kVirtioGsoEcn;
  if (version == 4) {
    if (available < 20) return t.error = OffloadError::ip_header_truncated, t;
    const uint32_t ihl = (ip[0] & 0x0f) * 4u;
    if (ihl < 20 || gso == kVirtioGsoTcpv6) return t.error = OffloadError::ip_header_bad, t;
    if (ihl > available) return t.error = OffloadError::ip_header_truncated, t;
    if (ip[9] != kProtoTcp) return t.error = OffloadError::not_tcp, t;
    const uint32_t total = load_be16(ip + 2);
    t.ipv4 = true;
    t.l4_offset = l3 + ihl;
    // A total length below the buffer means link-layer padding; 0 or more means "all of it".
    t.end = (total >= ihl && total < available) ? l3 + total : uint32_t(frame.size());
    return t;
  }
  if (version != 6) return t.error = OffloadError::not_ip, t;
  if (available < kIpv6HeaderSize) return t.error = OffloadError::ip_header_truncated, t;
  if (gso == kVirtioGsoTcpv4) return t.error = OffloadError::ip_header_bad, t;
  t.end = uint32_t(frame.size());
  if (ip[6] == kProtoTcp) {
    t.l4_offset = l3 + kIpv6HeaderSize;
  } else if ((vnet.flags & kVirtioNeedsChecksum) && vnet.csum_start > l3 + kIpv6HeaderSize &&
             vnet.csum_offset == 16) {
    t.l4_offset = vnet.csum_start;  // extension headers: trust the sender's L4 offset
  } else {
    return t.error = OffloadError::not_tcp, t;
  }
  return t;
}

TcpLayout find_tcp(std::span<const uint8_t> frame, const VirtioNetHeader& vnet, uint32_t l3) {
  TcpLayout t = find_ip(frame, vnet, l3);
  if (t.error != OffloadError::none) return t;
  if (t.l4_offset + 20 > t.end) return t.error = OffloadError::tcp_header_truncated, t;
  const uint32_t data_offset = (frame[t.l4_offset + 12] >> 4) * 4u;
  if (data_offset < 20 || t.l4_offset + data_offset > t.end) {
    return t.error = OffloadError::tcp_header_truncated, t;
  }
  t.headers_end = t.l4_offset + data_offset;
  return t;
}

uint32_t pseudo_header_sum(const uint8_t* ip, bool ipv4, uint32_t l4_size) {
  if (ipv4) return packet::checksum_partial(ip + 12, 8, uint32_t{kProtoTcp} + l4_size);
  return packet::checksum_partial(ip + 8, 32, uint32_t{kProtoTcp} + l4_size);
}

// Fixes lengths, id, sequence, flags and both checksums of segment `index` already copied
// to `out` (headers + payload, `size` bytes in all).
void finish_segment(uint8_t* out, uint32_t size, const TcpLayout& t, uint32_t index, bool last,
                    uint32_t payload_before) {
  uint8_t* ip = out + t.l3_offset;
  uint8_t* tcp = out + t.l4_offset;
  if (t.ipv4) {
    const uint32_t ihl = t.l4_offset - t.l3_offset;
    store_be16(ip + 2, uint16_t(size - t.l3_offset));
    store_be16(ip + 4, uint16_t(load_be16(ip + 4) + index));
    store_be16(ip + 10, 0);
    store_be16(ip + 10, packet::ipv4_header_checksum(ip, ihl));
  } else {
    store_be16(ip + 4, uint16_t(size - t.l3_offset - kIpv6HeaderSize));
  }
  store_be32(tcp + 4, load_be32(tcp + 4) + payload_before);
  if (!last) tcp[13] &= uint8_t(~(kTcpFin | kTcpPsh));
  if (index != 0) tcp[13] &= uint8_t(~kTcpCwr);
  const uint32_t l4_size = size - t.l4_offset;
  store_be16(tcp + 16, 0);
  const uint16_t sum = packet::checksum_fold(
      packet::checksum_partial(tcp, l4_size, pseudo_header_sum(ip, t.ipv4, l4_size)));
  store_be16(tcp + 16, sum == 0 ? 0xffff : sum);
}

}  // namespace

std::string_view to_string(OffloadError error) {
  static constexpr std::string_view kNames[] = {
      "none",
      "checksum_offsets_beyond_frame",
      "not_ip",
      "ip_header_truncated",
      "ip_header_bad",
      "not_tcp",
      "tcp_header_truncated",
      "unsupported_gso_type",
      "gso_size_zero",
      "too_many_segments",
      "segment_buffer_too_small",
      "segment_too_big",
  };
  static_assert(std::size(kNames) == kOffloadErrorCount);
  const auto i = size_t(error);
  return i < kOffloadErrorCount ? kNames[i] : "unknown";
}

OffloadError complete_checksum(std::span<uint8_t> frame, const VirtioNetHeader& vnet) {
  if (!(vnet.flags & kVirtioNeedsChecksum)) return OffloadError::none;
  const size_t start = vnet.csum_start;
  const size_t field = start + vnet.csum_offset;
  if (field + 2 > frame.size()) return OffloadError::checksum_offsets_beyond_frame;
  const uint16_t sum =
      packet::checksum_fold(packet::checksum_partial(frame.data() + start, frame.size() - start));
  store_be16(frame.data() + field, sum == 0 ? 0xffff : sum);
  return OffloadError::none;
}

uint32_t segment_count(uint32_t frame_size, uint32_t headers_size, uint16_t gso_size) {
  if (gso_size == 0 || frame_size <= headers_size) return 1;
  return (frame_size - headers_size + gso_size - 1) / gso_size;
}

SegmentResult segment_tcp(std::span<const uint8_t> frame, const VirtioNetHeader& vnet,
                          uint32_t l3_offset, std::span<Frame> segments) {
  const uint8_t gso = vnet.gso_type & ~kVirtioGsoEcn;
  if (gso != kVirtioGsoNone && gso != kVirtioGsoTcpv4 && gso != kVirtioGsoTcpv6) {
    return {OffloadError::unsupported_gso_type, 0};
  }
  const TcpLayout t = find_tcp(frame, vnet, l3_offset);
  if (t.error != OffloadError::none) return {t.error, 0};
  uint32_t mss = t.end - t.headers_end;
  if (gso != kVirtioGsoNone) {
    if (vnet.gso_size == 0) return {OffloadError::gso_size_zero, 0};
    mss = vnet.gso_size;
  }
  const uint32_t payload = t.end - t.headers_end;
  if (mss == 0) mss = 1;  // no payload and no GSO: one segment of headers
  const uint32_t count = payload == 0 ? 1 : (payload + mss - 1) / mss;
  if (count > segments.size()) return {OffloadError::too_many_segments, 0};
  if (t.headers_end - l3_offset + (payload < mss ? payload : mss) > 65535) {
    return {OffloadError::segment_too_big, 0};
  }
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t before = i * mss;
    const uint32_t chunk = (payload - before < mss) ? payload - before : mss;
    const uint32_t size = t.headers_end + chunk;
    Frame& out = segments[i];
    if (out.data == nullptr || out.capacity < size) {
      return {OffloadError::segment_buffer_too_small, 0};
    }
    std::memcpy(out.data, frame.data(), t.headers_end);
    if (chunk) std::memcpy(out.data + t.headers_end, frame.data() + t.headers_end + before, chunk);
    finish_segment(out.data, size, t, i, i + 1 == count, before);
    out.size = size;
    out.vnet = VirtioNetHeader{};
  }
  return {OffloadError::none, count};
}

VirtioNetHeader tso_header(const uint8_t* frame, size_t size, uint8_t gso_type, uint16_t gso_size) {
  VirtioNetHeader vnet;
  if (gso_type != kVirtioGsoTcpv4 && gso_type != kVirtioGsoTcpv6) return vnet;
  if (size < 14 + 20) return vnet;
  const size_t l4 = 14 + (gso_type == kVirtioGsoTcpv4 ? size_t(frame[14] & 0x0f) * 4 : 40);
  if (l4 + 20 > size) return vnet;
  vnet.flags = kVirtioNeedsChecksum;
  vnet.gso_type = gso_type;
  vnet.gso_size = gso_size;
  vnet.hdr_len = uint16_t(l4 + size_t(frame[l4 + 12] >> 4) * 4);
  vnet.csum_start = uint16_t(l4);
  vnet.csum_offset = 16;
  return vnet;
}

}  // namespace openvpc::io
