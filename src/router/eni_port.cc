#include "router/eni_port.h"

#include <linux/if_tun.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

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

Result<std::shared_ptr<EniPort>> create_eni_port(const EniPortPlan& plan, uint32_t mtu,
                                                 NamespaceRegistry& namespaces) {
  io::TapPortConfig config;
  config.name = plan.tap_name;
  config.mtu = mtu;
  config.mac = plan.mac.bytes;
  config.offloads = false;  // TUN_F_CSUM only, set below: no TSO super-frames
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
  if (::ioctl(tap->fd(), TUNSETOFFLOAD, static_cast<unsigned>(TUN_F_CSUM)) < 0) {
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
