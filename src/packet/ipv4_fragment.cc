// ipv4_fragment.cc — IPv4 fragmentation (RFC 791 §3.2, "Fragmentation and reassembly"):
// writes one fragment of a packet into a caller buffer, without allocation (builder.h).
//
// The first piece keeps the whole header; later pieces keep only the options whose copied
// flag (bit 0x80 of the option type) is set, padded with end-of-options to a 4-byte multiple.
// Offsets are relative to the packet being fragmented, which may itself be a fragment: its
// own offset is added and its MF flag survives on its last piece. The first piece may be
// written in place (out == ip.data()): its header keeps its size, so the data stays put.
#include <algorithm>
#include <array>
#include <cstring>

#include "packet/builder.h"
#include "packet/checksum.h"
#include "packet/headers.h"

namespace openvpc::packet {
namespace {

constexpr uint8_t kOptionEnd = 0;
constexpr uint8_t kOptionNoOperation = 1;
constexpr uint8_t kOptionCopied = 0x80;
constexpr uint16_t kMoreFragments = 0x2000;
constexpr uint16_t kDontFragmentFlag = 0x4000;
constexpr size_t kMaxIpv4Header = 60;

// Whether ip is a complete IPv4 packet this file can fragment.
bool valid(std::span<const uint8_t> ip) {
  if (ip.size() < kIpv4MinHeaderSize) return false;
  const Ipv4View view(ip.data());
  return view.version() == 4 && view.header_size() >= kIpv4MinHeaderSize &&
         view.header_size() <= view.total_length() && view.total_length() <= ip.size();
}

// Writes the header of a later piece (copied options only) into out[0..60); returns its size,
// or 0 when the options are malformed.
size_t later_header(std::span<const uint8_t> ip, uint8_t* out) {
  const size_t header = Ipv4View(ip.data()).header_size();
  std::copy_n(ip.data(), kIpv4MinHeaderSize, out);
  size_t size = kIpv4MinHeaderSize;
  for (size_t at = kIpv4MinHeaderSize; at < header;) {
    const uint8_t type = ip[at];
    if (type == kOptionEnd) break;
    if (type == kOptionNoOperation) {
      ++at;
      continue;
    }
    if (at + 1 >= header || ip[at + 1] < 2 || at + ip[at + 1] > header) return 0;
    const size_t length = ip[at + 1];
    if ((type & kOptionCopied) != 0) {
      std::copy_n(ip.data() + at, length, out + size);
      size += length;
    }
    at += length;
  }
  while (size % 4 != 0) out[size++] = kOptionEnd;
  out[0] = uint8_t(0x40 | size / 4);
  return size;
}

}  // namespace

size_t ipv4_fragment_header_size(std::span<const uint8_t> ip, bool first_piece) {
  if (!valid(ip)) return 0;
  if (first_piece) return Ipv4View(ip.data()).header_size();
  std::array<uint8_t, kMaxIpv4Header> scratch{};
  return later_header(ip, scratch.data());
}

size_t write_ipv4_fragment(uint8_t* out, size_t capacity, std::span<const uint8_t> ip,
                           size_t offset, size_t size) {
  if (!valid(ip) || offset % 8 != 0) return 0;
  const Ipv4View view(ip.data());
  const size_t payload = view.total_length() - view.header_size();
  if (offset + size > payload || size == 0) return 0;
  const size_t new_offset = view.fragment_offset() + offset;
  if (new_offset + size > 0xffff - kIpv4MinHeaderSize) return 0;
  std::array<uint8_t, kMaxIpv4Header> header{};
  size_t header_size = view.header_size();
  if (offset == 0) {
    std::copy_n(ip.data(), header_size, header.data());
  } else {
    header_size = later_header(ip, header.data());
    if (header_size == 0) return 0;
  }
  const size_t total = header_size + size;
  if (total > capacity) return 0;
  const bool last = offset + size == payload;
  const bool more = !last || view.more_fragments();
  const uint16_t flags = uint16_t(load_be16(ip.data() + 6) & kDontFragmentFlag);
  store_be16(header.data() + 2, uint16_t(total));
  store_be16(header.data() + 6,
             uint16_t(flags | (more ? kMoreFragments : 0) | uint16_t(new_offset / 8)));
  store_be16(header.data() + 10, 0);
  store_be16(header.data() + 10, ipv4_header_checksum(header.data(), header_size));
  // memmove: the first piece may be written in place over ip itself.
  std::memmove(out + header_size, ip.data() + view.header_size() + offset, size);
  std::copy_n(header.data(), header_size, out);
  return total;
}

}  // namespace openvpc::packet
