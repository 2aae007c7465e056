// program_source.h — where the router's per-host program comes from.
//
// The router asks its ProgramSource whether something new may be there (cheap, polled by the
// router thread a few times a second) and then fetches it. FileProgramSource reads a JSON
// file (program/program_json.h); ControllerProgramSource (controller_program_source.h) takes
// the controller's mapping stream. fetch() returns the program as sent; validating it against this
// host is program_loader.h's job. Not thread-safe: the router thread owns it.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "mapping/flow_log_status.h"
#include "program/program.h"

namespace openvpc::router {

class ProgramSource {
 public:
  virtual ~ProgramSource() = default;
  // True when a fetch() may return something other than the last one (first call: true).
  virtual bool changed() = 0;
  // The current program; fails with "program.source" (unreadable) or "program.json".
  virtual Result<program::Program> fetch() = 0;
  // The router applied (or refused, for `reason`) what the last fetch() returned.
  virtual void settled(bool applied, const std::string& reason) {
    (void)applied;
    (void)reason;
  }
  // The flow logs' delivery statuses changed (router/flow_log_files.h); a controller source
  // sends them with its Acks (DescribeFlowLogs), a file has no one to tell.
  virtual void report_flow_logs(std::vector<mapping::FlowLogStatus> statuses) { (void)statuses; }
  virtual std::string describe() const = 0;
};

// A JSON file, re-read when its modification time, size or inode changes (an editor's or
// `mv`'s atomic replace included).
class FileProgramSource final : public ProgramSource {
 public:
  explicit FileProgramSource(std::string path) : path_(std::move(path)) {}
  bool changed() override;
  Result<program::Program> fetch() override;
  std::string describe() const override { return "file " + path_; }

 private:
  struct Stamp {
    bool exists = false;
    ino_t inode = 0;
    off_t size = 0;
    timespec modified{};
    bool operator==(const Stamp& o) const {
      return exists == o.exists && inode == o.inode && size == o.size &&
             modified.tv_sec == o.modified.tv_sec && modified.tv_nsec == o.modified.tv_nsec;
    }
  };
  Stamp stamp() const;

  std::string path_;
  bool fetched_ = false;
  Stamp last_;
};

}  // namespace openvpc::router
