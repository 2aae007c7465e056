// fuzz_records.h — the input format the batch fuzzers share (fuzz_dataplane, fuzz_edge): a
// sequence of records [port byte][length, 16-bit little-endian][length bytes], at most 300,
// the last one cut to what is left. Each record's bytes land in their own buffer with
// `headroom` bytes before and `tailroom` after (as a port's receive would leave them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace openvpc::fuzzing {

struct FuzzRecord {
  uint8_t port = 0;             // what the fuzzer makes of it is its own business
  size_t length = 0;            // bytes at buffer.data() + headroom
  std::vector<uint8_t> buffer;  // headroom + length + tailroom
};

inline std::vector<FuzzRecord> split_records(const uint8_t* data, size_t size, size_t headroom,
                                             size_t tailroom) {
  std::vector<FuzzRecord> records;
  while (size >= 3 && records.size() < 300) {
    FuzzRecord record;
    record.port = data[0];
    record.length = size_t(data[1]) | (size_t(data[2]) << 8);
    data += 3, size -= 3;
    if (record.length > size) record.length = size;
    record.buffer.resize(headroom + record.length + tailroom);
    std::memcpy(record.buffer.data() + headroom, data, record.length);
    data += record.length, size -= record.length;
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace openvpc::fuzzing
