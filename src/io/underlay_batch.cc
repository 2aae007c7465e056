#include "io/underlay_batch.h"

#include "packet/geneve.h"

namespace openvpc::io {

size_t receive_underlay_packets(UnderlaySocket& socket, std::span<Datagram> datagrams,
                                uint8_t* storage, size_t buffer_size, size_t headroom,
                                uint32_t local_v4) {
  for (size_t i = 0; i < datagrams.size(); ++i) {
    datagrams[i] = {};
    datagrams[i].data = storage + i * buffer_size + headroom + kUnderlayHeadersSize;
    datagrams[i].capacity = uint32_t(buffer_size - headroom - kUnderlayHeadersSize);
  }
  const size_t received = socket.receive(datagrams);
  for (size_t i = 0; i < received; ++i) {
    Datagram& d = datagrams[i];
    if (!write_underlay_headers(d.data - kUnderlayHeadersSize, d.peer_address, local_v4,
                                d.peer_port, packet::kGenevePort, d.size, d.tos)) {
      d.size = 0;
    }
  }
  return received;
}

size_t send_underlay_all(RawUnderlaySocket& socket, std::span<const Datagram> datagrams) {
  for (size_t done = 0; done < datagrams.size();) {
    const uint64_t errors = socket.stats().send_errors;
    const size_t sent = socket.send(datagrams.subspan(done));
    const size_t refused = size_t(socket.stats().send_errors - errors);
    if (sent + refused == 0) return datagrams.size() - done;  // the socket buffer is full
    done += sent + refused;
  }
  return 0;
}

}  // namespace openvpc::io
