#include "packet/ecn.h"

#include "packet/bytes.h"
#include "packet/checksum.h"

namespace openvpc::packet {

void set_ip_ecn(uint8_t* ip, uint8_t ecn) {
  ecn &= kEcnMask;
  if ((ip[0] >> 4) == 6) {  // traffic class: the low 4 bits of byte 0, the high 4 of byte 1
    ip[1] = uint8_t((ip[1] & ~(kEcnMask << 4)) | ecn << 4);
    return;
  }
  const uint16_t old_word = load_be16(ip);
  ip[1] = uint8_t((ip[1] & ~kEcnMask) | ecn);
  store_be16(ip + 10, checksum_update16(load_be16(ip + 10), old_word, load_be16(ip)));
}

}  // namespace openvpc::packet
