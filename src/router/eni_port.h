// eni_port.h — an ENI's TAP device as the router holds it, and the table workers read.
//
// EniPort owns the TAP (its descriptor keeps the device alive) and shares the instance
// namespace it was moved into. Destroying the last reference deletes the TAP, then the
// namespace when no other ENI port shares it. TAPs are opened with IFF_VNET_HDR and
// TUN_F_CSUM: an instance may hand over frames with a partial L4 checksum (the worker
// completes it in software, io/offload.h). With TSO on (the router's --tso, the default) also
// TUN_F_TSO4 | TUN_F_TSO6, and the device's gso_max_size is cut to kTapGsoMaxSize, so that a
// TCP super-frame fits the pipeline's 16-bit Packet sizes and, encapsulated (52 bytes), one
// underlay IPv4 datagram. Invariant: every frame read is at most kTapGsoMaxSize + 18 bytes.
//
// PortTable is an immutable snapshot (ENI number -> port) swapped like the compiled program:
// the router thread publishes a new one after a program changes the ENI set; workers pick it
// up between batches. Several workers may send on a port at once, without a lock
// (TapPort::send_shared: the kernel serialises each frame's write); receiving is done by the
// one worker that owns the port.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "dataplane/compiled_program.h"
#include "dataplane/published.h"
#include "io/netns.h"
#include "io/tap_port.h"
#include "router/program_loader.h"

namespace openvpc::router {

// Instance namespaces by name, shared by the ports in them; created on first use.
class NamespaceRegistry {
 public:
  Result<std::shared_ptr<io::NetworkNamespace>> acquire(const std::string& name);

 private:
  std::map<std::string, std::weak_ptr<io::NetworkNamespace>> namespaces_;
};

inline constexpr uint32_t kTapGsoMaxSize = 60000;

struct EniPort {
  EniPortPlan plan;
  std::shared_ptr<io::NetworkNamespace> instance;  // declared first: destroyed after the TAP
  io::TapPort tap;

  EniPort(EniPortPlan p, std::shared_ptr<io::NetworkNamespace> ns, io::TapPort t)
      : plan(std::move(p)), instance(std::move(ns)), tap(std::move(t)) {}
};

// Creates the TAP (name, MAC, MTU, checksum offload). When the plan names an instance
// namespace: creates it (or adopts one an earlier router left) with lo up, and opens the TAP
// inside it as a persistent device — re-attaching to the one a killed router left there.
// With `tso`: TUN_F_TSO4/TSO6 too, and the device's GSO maximum lowered to kTapGsoMaxSize.
Result<std::shared_ptr<EniPort>> create_eni_port(const EniPortPlan& plan, uint32_t mtu, bool tso,
                                                 NamespaceRegistry& namespaces);

struct PortTable {
  std::vector<std::shared_ptr<EniPort>> ports;  // sorted by ENI number
  dataplane::IdIndex index;                     // ENI number -> position in ports

  void build_index();
  int32_t find(uint32_t eni) const { return index.find(eni); }
};

// Values handed from the router thread to the workers (the port table, the services'
// configuration): dataplane::Published, the same as the compiled program's publisher.
using dataplane::Published;

}  // namespace openvpc::router
