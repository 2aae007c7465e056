#include "router/flow_log_directory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "program/flow_log_destination.h"

namespace openvpc::router {

namespace {

constexpr int kDirectoryFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

Error access_error(std::string_view destination, int error) {
  return make_error("flowlog.destination",
                    "Access error: " + std::string(destination) + ": " + std::strerror(error));
}

// Why openat(parent, name, ...O_NOFOLLOW) failed with `error`: a symlink reads as ELOOP whether
// the kernel said ELOOP (a file) or ENOTDIR (O_DIRECTORY on a link).
Error open_error(int parent, const std::string& name, std::string_view destination, int error) {
  struct stat st {};
  if (error == ENOTDIR && ::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      S_ISLNK(st.st_mode)) {
    error = ELOOP;
  }
  return access_error(destination, error);
}

// The directory `name` inside `parent`, made first when missing. Never follows a symlink.
Result<FileDescriptor> open_subdirectory(int parent, const std::string& name,
                                         std::string_view destination) {
  int fd = ::openat(parent, name.c_str(), kDirectoryFlags);
  if (fd < 0 && errno == ENOENT) {
    if (::mkdirat(parent, name.c_str(), 0755) != 0 && errno != EEXIST) {
      return access_error(destination, errno);
    }
    fd = ::openat(parent, name.c_str(), kDirectoryFlags);
  }
  if (fd < 0) return open_error(parent, name, destination, errno);
  return FileDescriptor(fd);
}

// The file may be written: a regular file with no other hard link.
Result<void> check_opened(int fd, const std::string& destination) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return access_error(destination, errno);
  if (!S_ISREG(st.st_mode)) {
    return make_error("flowlog.destination",
                      "Access error: " + destination + ": not a regular file");
  }
  if (st.st_nlink != 1) {
    return make_error("flowlog.destination",
                      "Access error: " + destination + ": the file has other links");
  }
  return {};
}

// O_NONBLOCK: a FIFO planted there must not hold the worker (it is refused by check_opened).
constexpr int kFileFlags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;

}  // namespace

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileDescriptor::~FileDescriptor() {
  if (fd_ >= 0) ::close(fd_);
}

Result<LogFileLocation> locate_log_file(const std::string& root, std::string_view account_id,
                                        std::string_view destination) {
  if (auto why = program::destination_error(destination)) {
    return make_error("flowlog.destination", "Access error: the destination " + std::string(*why));
  }
  if (!program::valid_account_directory(account_id)) {
    return make_error("flowlog.destination", "Access error: the account id is not a name");
  }
  std::error_code ignored;
  std::filesystem::create_directories(root, ignored);  // the operator's; a failure shows below
  FileDescriptor directory(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.get() < 0) return access_error(destination, errno);
  std::vector<std::string_view> path = program::destination_components(destination);
  path.insert(path.begin(), account_id);
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    auto next = open_subdirectory(directory.get(), std::string(path[i]), destination);
    if (!next) return next.error();
    directory = std::move(*next);
  }
  return LogFileLocation{std::move(directory), std::string(path.back()), std::string(destination)};
}

Result<FileDescriptor> open_log_file(const LogFileLocation& location) {
  const int directory = location.directory.get();
  FileDescriptor file(::openat(directory, location.name.c_str(), kFileFlags | O_CREAT, 0644));
  if (file.get() < 0) return open_error(directory, location.name, location.destination, errno);
  if (auto checked = check_opened(file.get(), location.destination); !checked) {
    return checked.error();
  }
  return file;
}

Result<void> check_log_file(const LogFileLocation& location) {
  const int directory = location.directory.get();
  FileDescriptor file(::openat(directory, location.name.c_str(), kFileFlags));
  if (file.get() >= 0) return check_opened(file.get(), location.destination);
  if (errno != ENOENT) return open_error(directory, location.name, location.destination, errno);
  if (::faccessat(directory, ".", W_OK | X_OK, AT_EACCESS) != 0) {
    return access_error(location.destination, errno);
  }
  return {};
}

void rotate_log_file(const LogFileLocation& location, unsigned keep) {
  const int directory = location.directory.get();
  const std::string& name = location.name;
  if (keep == 0) {
    ::unlinkat(directory, name.c_str(), 0);
    return;
  }
  ::unlinkat(directory, (name + "." + std::to_string(keep)).c_str(), 0);
  for (unsigned i = keep - 1; i >= 1; --i) {
    ::renameat(directory, (name + "." + std::to_string(i)).c_str(), directory,
               (name + "." + std::to_string(i + 1)).c_str());
  }
  ::renameat(directory, name.c_str(), directory, (name + ".1").c_str());
}

}  // namespace openvpc::router
