// fast_parse.h — a shortcut through the parser for the frames a data plane sees most.
//
// fast_parse_frame() recognises one shape only: untagged Ethernet, IPv4 without options and
// not a fragment, then TCP without options or UDP (any port: a frame is never Geneve), every
// length consistent. For such a frame it fills `meta` exactly as parse_frame() would (every
// field; a unit test compares the two on a table of frames and on random ones) and returns
// true. For anything else — including every malformed frame — it returns false, `meta` is
// unspecified, and the caller runs parse_frame(): the shortcut never names an error itself.
// It reads only inside `frame`; no allocation.
#pragma once

#include <cstdint>
#include <span>

#include "packet/parser.h"

namespace openvpc::packet {

bool fast_parse_frame(std::span<const uint8_t> frame, PacketMeta& meta);

// fast_parse_frame() into a `meta` that holds the result of an earlier fast_parse_frame() or
// fast_parse_frame_again() that returned true (of any frame): the fields that are the same
// for every frame of the shape are left as they are, so the result is the same (a batch
// reuses its PacketMeta slots). When it returns false `meta` is unspecified, as above.
bool fast_parse_frame_again(std::span<const uint8_t> frame, PacketMeta& meta);

}  // namespace openvpc::packet
