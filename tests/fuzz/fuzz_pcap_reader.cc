// fuzz_pcap_reader — libFuzzer target for capture files read by io::PcapReader (libpcap's
// pcap_open_offline underneath): what the conntrack replay and trace tools open when a user
// hands them a file. A truncated or hostile capture must end the read or fail open(), never
// crash.
//
// The input is the file (written to a memfd and opened through /proc/self/fd). Invariants: no
// crash, no sanitizer report; a record never claims more captured bytes than the file holds,
// and every one of them is readable.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "io/pcap_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int fd = memfd_create("fuzz-pcap", 0);
  if (fd < 0) std::abort();
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != ssize_t(size)) std::abort();
  auto reader = openvpc::io::PcapReader::open("/proc/self/fd/" + std::to_string(fd));
  if (!reader.ok()) return 0;
  for (int i = 0; i < 4096; ++i) {
    auto record = reader->next();
    if (!record) break;
    if (record->bytes.size() > size) std::abort();
    volatile uint8_t sum = 0;  // every captured byte is readable
    for (uint8_t b : record->bytes) sum = uint8_t(sum + b);
  }
  return 0;
}
