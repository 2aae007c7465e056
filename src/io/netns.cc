// netns.cc — named network namespaces (see netns.h).
#include "io/netns.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "io/netlink.h"

namespace openvpc::io {
namespace {

constexpr const char* kRunDirectory = "/run/netns";

Error errno_error(const std::string& what, int error) {
  return make_error("io.netns", what + ": " + std::strerror(error));
}

std::string path_of(const std::string& name) {
  return std::string(kRunDirectory) + "/" + name;
}

bool valid_name(const std::string& name) {
  return !name.empty() && name.size() < 64 && name != "." && name != ".." &&
         name.find('/') == std::string::npos;
}

// Makes /run/netns a shared mount point, as iproute2 does, so namespaces mounted there are
// visible to processes in other mount namespaces (e.g. `ip netns exec`).
Result<void> prepare_run_directory() {
  if (mkdir(kRunDirectory, 0755) < 0 && errno != EEXIST) {
    return errno_error("mkdir /run/netns", errno);
  }
  if (mount("", kRunDirectory, "none", MS_SHARED | MS_REC, nullptr) == 0) return {};
  if (errno != EINVAL) return errno_error("mount --make-shared /run/netns", errno);
  if (mount(kRunDirectory, kRunDirectory, "none", MS_BIND | MS_REC, nullptr) < 0) {
    return errno_error("mount --bind /run/netns", errno);
  }
  if (mount("", kRunDirectory, "none", MS_SHARED | MS_REC, nullptr) < 0) {
    return errno_error("mount --make-shared /run/netns", errno);
  }
  return {};
}

// On a fresh thread: unshare the network namespace and bind-mount it onto `path`.
Result<void> mount_new_namespace(const std::string& path) {
  Result<void> result;
  std::thread worker([&] {
    if (unshare(CLONE_NEWNET) < 0) {
      result = errno_error("unshare(CLONE_NEWNET)", errno);
    } else if (mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) < 0) {
      result = errno_error("mount --bind " + path, errno);
    }
  });
  worker.join();
  return result;
}

}  // namespace

Result<void> run_in_namespace(int namespace_fd, const std::function<void()>& body) {
  Result<void> result;
  std::thread worker([&] {
    if (setns(namespace_fd, CLONE_NEWNET) < 0) {
      result = errno_error("setns(CLONE_NEWNET)", errno);
      return;
    }
    body();
  });
  worker.join();
  return result;
}

Result<NetworkNamespace> NetworkNamespace::create(std::string name) {
  if (!valid_name(name)) return make_error("io.netns", "bad namespace name '" + name + "'");
  if (auto prepared = prepare_run_directory(); !prepared) return prepared.error();
  const std::string path = path_of(name);
  const int placeholder = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (placeholder < 0) return errno_error("create " + path, errno);
  close(placeholder);
  if (auto mounted = mount_new_namespace(path); !mounted) {
    unlink(path.c_str());
    return mounted.error();
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    umount2(path.c_str(), MNT_DETACH);
    unlink(path.c_str());
    return errno_error("open " + path, error);
  }
  return NetworkNamespace(std::move(name), fd, true);
}

Result<NetworkNamespace> NetworkNamespace::open(std::string name) {
  if (!valid_name(name)) return make_error("io.netns", "bad namespace name '" + name + "'");
  const std::string path = path_of(name);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("open " + path, errno);
  return NetworkNamespace(std::move(name), fd, false);
}

Result<NetworkNamespace> NetworkNamespace::adopt(std::string name) {
  Result<NetworkNamespace> opened = open(std::move(name));
  if (opened) opened->owned_ = true;
  return opened;
}

bool NetworkNamespace::exists(const std::string& name) {
  return valid_name(name) && ::access(path_of(name).c_str(), F_OK) == 0;
}

NetworkNamespace::NetworkNamespace(NetworkNamespace&& other) noexcept
    : name_(std::move(other.name_)),
      fd_(std::exchange(other.fd_, -1)),
      owned_(std::exchange(other.owned_, false)) {}

NetworkNamespace& NetworkNamespace::operator=(NetworkNamespace&& other) noexcept {
  if (this != &other) {
    (void)remove();
    if (fd_ >= 0) close(fd_);
    name_ = std::move(other.name_);
    fd_ = std::exchange(other.fd_, -1);
    owned_ = std::exchange(other.owned_, false);
  }
  return *this;
}

NetworkNamespace::~NetworkNamespace() {
  (void)remove();
  if (fd_ >= 0) close(fd_);
}

Result<void> NetworkNamespace::remove() {
  if (!owned_) return {};
  owned_ = false;
  const std::string path = path_of(name_);
  if (umount2(path.c_str(), MNT_DETACH) < 0) return errno_error("umount " + path, errno);
  if (unlink(path.c_str()) < 0) return errno_error("unlink " + path, errno);
  return {};
}

Result<void> NetworkNamespace::configure(const std::string& interface_name,
                                         const InterfaceSettings& settings) const {
  return run([&]() -> Result<void> {
    Result<int> index = netlink::interface_index(interface_name);
    if (!index) return index.error();
    netlink::LinkChange change{settings.mtu, settings.mac, settings.up, std::nullopt, std::nullopt};
    if (auto changed = netlink::change_link(*index, change); !changed) return changed;
    if (settings.ipv4_address) {
      return netlink::add_ipv4_address(*index, *settings.ipv4_address, settings.ipv4_prefix_length);
    }
    return {};
  });
}

Result<int> NetworkNamespace::run_program(const std::vector<std::string>& argv,
                                          std::chrono::milliseconds timeout) const {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
    return make_error("io.netns", "run_program needs an absolute program path");
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return errno_error("fork", errno);
  if (pid == 0) {  // child: only async-signal-safe calls until exec
    if (setns(fd_, CLONE_NEWNET) < 0) _exit(126);
    execv(args[0], args.data());
    _exit(127);
  }
  const int pidfd = int(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    if (poll(&p, 1, int(timeout.count())) == 0) kill(pid, SIGKILL);
    close(pidfd);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return errno_error("waitpid", errno);
  if (WIFSIGNALED(status)) {
    return make_error("io.netns",
                      argv[0] + " killed by signal " + std::to_string(WTERMSIG(status)));
  }
  return WEXITSTATUS(status);
}

}  // namespace openvpc::io
