#include "router/eni_port.h"

#include <linux/if_tun.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include "io/netlink.h"

namespace openvpc::router {

Result<std::shared_ptr<io::NetworkNamespace>> NamespaceRegistry::acquire(const std::string& name) {
  auto& slot = namespaces_[name];
  if (auto existing = slot.lock()) return existing;
  // A namespace left by an earlier router on this host (killed without cleaning up) still
  // holds its instance's interfaces and addresses: take it over instead of failing.
  auto created = io::NetworkNamespace::exists(name) ? io::NetworkNamespace::adopt(name)
                                                    : io::NetworkNamespace::create(name);
  if (!created) return created.error();
  auto shared = std::make_shared<io::NetworkNamespace>(std::move(*created));
  io::InterfaceSettings loopback;
  loopback.up = true;
  if (auto up = shared->configure("lo", loopback); !up) return up.error();
  slot = shared;
  return shared;
}

Result<std::shared_ptr<EniPort>> create_eni_port(const EniPortPlan& plan, uint32_t mtu, bool tso,
                                                 NamespaceRegistry& namespaces) {
  io::TapPortConfig config;
  config.name = plan.tap_name;
  config.mtu = mtu;
  config.mac = plan.mac.bytes;
  config.offloads = false;  // TUN_F_CSUM (and TSO4/TSO6 with tso), set below
  std::shared_ptr<io::NetworkNamespace> instance;
  Result<io::TapPort> tap = make_error("io.tap", "not opened");
  if (plan.namespace_name.empty()) {
    tap = io::TapPort::create(config);
  } else {
    // An instance's TAP is persistent and opened inside its namespace, so that a router
    // killed and restarted finds the instance's interface as it was and re-attaches to it
    // (the instance keeps its addresses; traffic resumes once the program is applied).
    auto ns = namespaces.acquire(plan.namespace_name);
    if (!ns) return ns.error();
    instance = std::move(*ns);
    config.persist = true;
    tap = io::TapPort::create_in(config, *instance);
  }
  if (!tap) return tap.error();
  // The GSO limit first: no super-frame above it is ever offered once TSO is on.
  auto limit_gso = [&]() -> Result<void> {
    auto index = io::netlink::interface_index(tap->name());
    if (!index) return index.error();
    io::netlink::LinkChange change;
    change.gso_max_size = kTapGsoMaxSize;
    return io::netlink::change_link(*index, change);
  };
  if (tso) {
    auto limited = instance ? instance->run(limit_gso) : limit_gso();
    if (!limited)
      return make_error("io.tap", plan.tap_name + ": gso_max_size: " + limited.error().message);
  }
  const unsigned offloads = tso ? (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) : TUN_F_CSUM;
  if (::ioctl(tap->fd(), TUNSETOFFLOAD, offloads) < 0) {
    return make_error("io.tap", plan.tap_name + ": TUNSETOFFLOAD: " + std::strerror(errno));
  }
  return std::make_shared<EniPort>(plan, std::move(instance), std::move(*tap));
}

void PortTable::build_index() {
  std::vector<uint32_t> ids;
  ids.reserve(ports.size());
  for (const auto& port : ports) ids.push_back(port->plan.eni);
  index.build(ids);
}

}  // namespace openvpc::router
