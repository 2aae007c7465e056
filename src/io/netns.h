// netns.h — named network namespaces, RAII, the way `ip netns add/del/exec` handles them.
//
// create() makes /run/netns/NAME a bind mount of a fresh network namespace, exactly as
// iproute2 does, so `ip netns exec NAME ...` and `ip netns list` see it; the owning object
// deletes it (unmount + unlink) when destroyed, also on a failing test's way out. open()
// attaches to an existing one without owning it; adopt() attaches and owns.
//
// Threading: network namespaces are per thread. run() executes a function on a short-lived
// thread that joined the namespace (sockets it creates stay in that namespace for life, so a
// port can be opened "inside" and used from anywhere); run_program() forks, joins the
// namespace in the child and execs a program without a shell, with a time bound.
// Control-plane code: results, not exceptions.
#pragma once

#include <array>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/result.h"

namespace openvpc::io {

// Runs `body` on a new thread that has joined the network namespace `namespace_fd`, and
// waits for it. Fails without running `body` when the thread cannot join.
Result<void> run_in_namespace(int namespace_fd, const std::function<void()>& body);

struct InterfaceSettings {
  bool up = true;
  std::optional<uint32_t> mtu;
  std::optional<std::array<uint8_t, 6>> mac;
  std::optional<uint32_t> ipv4_address;  // host byte order
  uint8_t ipv4_prefix_length = 24;
};

class NetworkNamespace {
 public:
  static Result<NetworkNamespace> create(std::string name);
  static Result<NetworkNamespace> open(std::string name);
  // Takes ownership of an existing namespace (one an earlier process created and could not
  // remove, e.g. a router killed with SIGKILL): like open(), but deleted on destruction.
  static Result<NetworkNamespace> adopt(std::string name);
  static bool exists(const std::string& name);

  NetworkNamespace(NetworkNamespace&& other) noexcept;
  NetworkNamespace& operator=(NetworkNamespace&& other) noexcept;
  NetworkNamespace(const NetworkNamespace&) = delete;
  NetworkNamespace& operator=(const NetworkNamespace&) = delete;
  ~NetworkNamespace();

  const std::string& name() const { return name_; }
  int fd() const { return fd_; }  // an open /run/netns/NAME, for setns and IFLA_NET_NS_FD

  // Deletes the namespace now (owned ones only; the destructor calls it). Interfaces inside
  // go away with it once no process or socket holds the namespace.
  Result<void> remove();

  // Runs fn inside the namespace and returns its result; fn returns a Result<T>.
  template <typename F>
  requires std::constructible_from<std::invoke_result_t<F&>, Error> std::invoke_result_t<F&> run(
      F&& fn)
  const {
    using R = std::invoke_result_t<F&>;
    std::optional<R> out;
    Result<void> entered = run_in_namespace(fd_, [&] { out.emplace(fn()); });
    if (!entered) return R(entered.error());
    return std::move(*out);
  }

  // Applies settings to the interface `interface_name` inside the namespace.
  Result<void> configure(const std::string& interface_name,
                         const InterfaceSettings& settings) const;

  // Runs argv (argv[0] an absolute path; no shell) inside the namespace with stdout/stderr
  // inherited, and returns its exit status; the program is killed after `timeout`.
  Result<int> run_program(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout) const;

 private:
  NetworkNamespace(std::string name, int fd, bool owned)
      : name_(std::move(name)), fd_(fd), owned_(owned) {}

  std::string name_;
  int fd_ = -1;
  bool owned_ = false;
};

}  // namespace openvpc::io
