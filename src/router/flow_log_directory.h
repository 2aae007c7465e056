// flow_log_directory.h — a flow log's file, opened under the operator's root, never outside it.
//
// A flow log's file is ROOT/ACCOUNT/DESTINATION: ROOT is the router's --flow-log-root, ACCOUNT
// the flow log's owner, DESTINATION the tenant's relative path (program/flow_log_destination.h
// says which are valid; an invalid one is refused here too, whatever the program says).
// ROOT belongs to the operator: it is opened as configured and created when missing. Below it
// nothing is followed: each directory is opened from its parent's descriptor with
// openat(O_DIRECTORY | O_NOFOLLOW), the file with O_NOFOLLOW | O_CREAT, and rotation renames
// and unlinks inside the file's directory descriptor. So a symlink at any component (the file
// itself, or a directory on the way) fails the open with ELOOP or ENOTDIR, and nothing outside
// ROOT is opened, created, written, renamed or removed for a flow log. The file must also be a
// regular file with no other hard link (a link to a file elsewhere would otherwise do what a
// symlink cannot). ACCOUNT and the directories DESTINATION names are created (0755) when
// missing, as S3 makes prefixes; files are created 0644.
//
// Errors are "flowlog.destination" with a message that names the destination as the tenant
// wrote it ("Access error: web/flows.log: Too many levels of symbolic links"), never ROOT.
// Plain functions over descriptors; thread-safe as far as the file system is.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"

namespace openvpc::router {

// An owned file descriptor; -1 when empty.
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor();

  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

// The directory that holds a flow log's file, and the file's name in it.
struct LogFileLocation {
  FileDescriptor directory;
  std::string name;
  std::string destination;  // as the tenant wrote it, for messages
};

// Opens ROOT/ACCOUNT/<DESTINATION's directories> (creating what is missing below ROOT).
Result<LogFileLocation> locate_log_file(const std::string& root, std::string_view account_id,
                                        std::string_view destination);

// Opens (creating it 0644 when missing) the located file for appending.
Result<FileDescriptor> open_log_file(const LogFileLocation& location);

// Whether open_log_file() would work, creating nothing: the file is there and writable, or
// it is missing and its directory writable.
Result<void> check_log_file(const LogFileLocation& location);

// Moves the file aside: NAME.(keep-1) -> NAME.keep ... NAME -> NAME.1, the oldest removed;
// with keep 0 the file is removed. Only names inside the located directory are touched.
void rotate_log_file(const LogFileLocation& location, unsigned keep);

}  // namespace openvpc::router
