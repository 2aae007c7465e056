// underlay_segments.h — TCP super-frames on the underlay, and cutting them.
//
// A router sends an instance's TCP super-frame (TSO, worker.h) encapsulated whole: the VPC
// option's GSO flag and size say what it stands for, and the receiving router hands it whole
// to the destination TAP. Two things cut one into plain encapsulated segments instead:
//   - the receiving router, to hand it to another worker (inbox slots are smaller);
//   - the sending router, when it would not fit the underlay's MTU (on loopback, 65536, it
//     always fits; on a NIC or veth of 1500 or 9001 it never does): each segment then carries
//     at most what fits `mtu` with its outer headers — the sender's MSS, or less, since the
//     encapsulation adds 52 bytes the instance did not count.
// Segments get their outer lengths and IPv4 checksum, full inner checksums, and the GSO flag
// and size cleared. Pure functions over caller-owned buffers: no allocation, no exceptions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "io/frame.h"
#include "io/offload.h"

namespace openvpc::router {

// The GSO an encapsulated packet's VPC option announces, as a virtio-net header for
// io::segment_tcp (no checksum flag: the segments get theirs computed); GSO none otherwise.
io::VirtioNetHeader underlay_gso(const uint8_t* outer, size_t size);

// Cuts the encapsulated super-frame `outer` (vnet from underlay_gso) into segments.
io::SegmentResult cut_encapsulated(std::span<const uint8_t> outer, io::VirtioNetHeader vnet,
                                   std::span<io::Frame> segments);

// Cuts `outer` so that every segment is at most `mtu` bytes; io::OffloadError::none with
// count 0 when it is not a super-frame. segment_tcp's errors otherwise (too_many_segments:
// more than segments.size() needed; segment_too_big: mtu leaves no room for payload).
io::SegmentResult cut_to_mtu(std::span<const uint8_t> outer, uint32_t mtu,
                             std::span<io::Frame> segments);

}  // namespace openvpc::router
