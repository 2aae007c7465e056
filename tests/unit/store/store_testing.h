// store_testing.h — test support for the store suite: temporary directories, free ports, and
// real etcd members started on 127.0.0.1 and stopped by PID.
//
// Invariants: everything a helper creates dies with it (directories removed, processes
// killed and reaped in the destructor); every wait is bounded in time; traffic stays on
// 127.0.0.1.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "store/store.h"

namespace openvpc::store::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A port in [20000, 40000) that 127.0.0.1 could bind just now (racy by nature: callers retry).
int free_port();

// The etcd binary, or "" when it is not installed.
std::string etcd_binary();

// One etcd cluster of `members` members on 127.0.0.1, each in its own data dir under root.
class EtcdCluster {
 public:
  // Starts the members and waits until each answers; retries with other ports when a start
  // fails. Returns null (after cleaning up) when no attempt worked.
  static std::unique_ptr<EtcdCluster> start(const std::string& root, int members = 1);
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  std::vector<std::string> endpoints() const;  // "http://127.0.0.1:PORT", member order
  std::string endpoint(int member) const;
  // The member that is raft leader now, or -1 when none answers.
  int leader() const;
  // Sends SIGKILL to one member and reaps it.
  void kill(int member);
  // Starts a killed member again with the same name, ports and data; true when it answers.
  bool restart(int member);

 private:
  struct Member {
    std::string name;
    std::string data_dir;
    int client_port = 0;
    int peer_port = 0;
    pid_t pid = -1;
  };
  EtcdCluster() = default;
  bool launch(int member);
  bool wait_ready(int member, std::chrono::milliseconds timeout);
  std::string initial_cluster() const;

  std::vector<Member> members_;
};

// The durability drill. A forked child opens a store with open_store and writes two-key
// transactions ("a/N" and "b/N", both = N), reporting each acknowledged (N, revision) through
// a pipe; after kill_after acknowledgements (or 30 s) the child gets SIGKILL mid-burst and
// on_kill runs (e.g. to kill the server too). Acknowledgements still in the pipe count.
struct WriterRun {
  std::map<int64_t, int64_t> acknowledged;  // N -> revision
  bool killed = false;                      // the child died of SIGKILL, not by itself
};
WriterRun run_and_kill_writer(const std::function<Result<std::unique_ptr<Store>>()>& open_store,
                              size_t kill_after, const std::function<void()>& on_kill);
// GoogleTest expectations: every acknowledged write is present with its revision, and every
// transaction is there whole (each a/N has its b/N at the same revision) or not at all.
void expect_durable(Store& store, const WriterRun& run);

}  // namespace openvpc::store::testing
