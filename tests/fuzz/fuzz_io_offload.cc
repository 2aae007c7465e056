// fuzz_io_offload — drives complete_checksum and segment_tcp with untrusted virtio-net headers
// and frames, as an instance's kernel could hand them to the router through a TAP.
//
// Input: 12 bytes of VirtioNetHeader, 1 byte of L3 offset choice, then the frame. Invariants
// checked beyond ASan/UBSan: a successful segmentation writes at most the frames given, each
// within its capacity, and never reports more segments than segment_count() predicts.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "io/frame.h"
#include "io/offload.h"

using namespace openvpc::io;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < sizeof(VirtioNetHeader) + 1) return 0;
  VirtioNetHeader vnet;
  std::memcpy(&vnet, data, sizeof vnet);
  const uint32_t l3_offset = (data[sizeof vnet] & 1) ? 14 : 0;
  std::vector<uint8_t> frame(data + sizeof vnet + 1, data + size);

  std::vector<uint8_t> copy = frame;
  (void)complete_checksum(copy, vnet);

  constexpr size_t kSegments = 8;
  constexpr uint32_t kCapacity = 2048;
  static uint8_t storage[kSegments][kCapacity];
  Frame segments[kSegments];
  for (size_t i = 0; i < kSegments; ++i) segments[i] = Frame{storage[i], 0, kCapacity, {}};
  const SegmentResult result = segment_tcp(frame, vnet, l3_offset, segments);
  if (result.error == OffloadError::none) {
    if (result.count > kSegments) std::abort();
    for (uint32_t i = 0; i < result.count; ++i) {
      if (segments[i].size > kCapacity) std::abort();
    }
  }
  return 0;
}
