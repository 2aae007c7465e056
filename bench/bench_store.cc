// bench_store — store throughput and latency, SQLite and etcd side by side:
//   BM_PutSingleKey        one-key put per transaction (txns/s)
//   BM_TxnThreeKeysCompare three puts guarded by three mod_revision compares (txns/s)
//   BM_Range100Of10k       range over a 100-key prefix among 10,000 keys (latency)
//   BM_RangeAll10k         range over all 10,000 keys (latency)
// SQLite runs in a temporary directory (synchronous=FULL: every txn waits for fsync); etcd is
// started on free 127.0.0.1 ports with a temporary data dir, and skipped if not installed.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <thread>

#include "store/store.h"

namespace {

using openvpc::store::Compare;
using openvpc::store::Operation;
using openvpc::store::Store;

std::string temp_dir() {
  std::string pattern = std::filesystem::temp_directory_path().string() + "/bench-store-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) std::abort();
  return pattern;
}

// One etcd member on random ports in [20000, 40000); stopped by PID on exit.
class Etcd {
 public:
  bool start(const std::string& dir) {
    std::mt19937 random(std::random_device{}());
    for (int attempt = 0; attempt < 4; ++attempt) {
      port_ = 20000 + static_cast<int>(random() % 20000);
      const int peer = 20000 + static_cast<int>(random() % 20000);
      if (launch(dir + "/etcd-" + std::to_string(attempt), peer) && ready()) return true;
      stop();
    }
    return false;
  }
  ~Etcd() { stop(); }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  bool launch(const std::string& data, int peer_port) {
    const std::string client = endpoint(), peer = "http://127.0.0.1:" + std::to_string(peer_port);
    std::vector<std::string> args = {"/usr/bin/etcd",
                                     "--name",
                                     "n0",
                                     "--data-dir",
                                     data,
                                     "--listen-client-urls",
                                     client,
                                     "--advertise-client-urls",
                                     client,
                                     "--listen-peer-urls",
                                     peer,
                                     "--initial-advertise-peer-urls",
                                     peer,
                                     "--initial-cluster",
                                     "n0=" + peer};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const std::string log = data + ".log";
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) ::dup2(fd, 1), ::dup2(fd, 2);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    return pid_ > 0;
  }
  bool ready() {  // open_etcd_store succeeds once etcd answers
    for (int i = 0; i < 250; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) != 0) return (pid_ = -1), false;
      if (openvpc::store::open_etcd_store({endpoint()})) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

 public:
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  int port_ = 0;
  pid_t pid_ = -1;
};

struct Backends {
  std::string dir = temp_dir();
  Etcd etcd;
  std::unique_ptr<Store> sqlite, etcd_store;
  Backends() {
    if (auto store = openvpc::store::open_sqlite_store(dir + "/sqlite")) sqlite = std::move(*store);
    if (::access("/usr/bin/etcd", X_OK) == 0 && etcd.start(dir)) {
      if (auto store = openvpc::store::open_etcd_store({etcd.endpoint()})) {
        etcd_store = std::move(*store);
      }
    }
  }
  ~Backends() {
    sqlite.reset();
    etcd_store.reset();
    etcd.stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

Backends& backends() {
  static Backends instance;
  return instance;
}

Store* store_for(benchmark::State& state) {
  Store* store = state.range(0) == 0 ? backends().sqlite.get() : backends().etcd_store.get();
  state.SetLabel(state.range(0) == 0 ? "sqlite" : "etcd");
  if (store == nullptr) state.SkipWithError("backend not available");
  return store;
}

void BM_PutSingleKey(benchmark::State& state) {
  Store* store = store_for(state);
  if (store == nullptr) return;
  int64_t i = 0;
  for (auto _ : state) {
    auto result =
        store->txn({}, {{Operation::Kind::put, "put/" + std::to_string(i++ % 1000), "v"}});
    if (!result) state.SkipWithError(result.error().message.c_str());
  }
  state.counters["txns/s"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_TxnThreeKeysCompare(benchmark::State& state) {
  Store* store = store_for(state);
  if (store == nullptr) return;
  std::vector<Compare> compares = {{"txn/a", 0}, {"txn/b", 0}, {"txn/c", 0}};
  for (auto& c : compares) {  // earlier runs of this benchmark left the keys behind
    auto current = store->get(c.key);
    if (current && *current) c.mod_revision = (*current)->mod_revision;
  }
  for (auto _ : state) {
    std::vector<Operation> ops;
    for (const auto& c : compares) ops.push_back({Operation::Kind::put, c.key, "value"});
    auto result = store->txn(compares, ops);
    if (!result || !result->succeeded) {
      state.SkipWithError("txn failed");
      break;
    }
    for (auto& c : compares) c.mod_revision = result->revision;
  }
  state.counters["txns/s"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

// 10,000 keys "range/NNNNN" in 100 transactions of 100 keys, once per backend.
void fill(Store& store) {
  auto existing = store.range("range/", 1);
  if (existing && !existing->kvs.empty()) return;
  for (int t = 0; t < 100; ++t) {
    std::vector<Operation> ops;
    for (int k = 0; k < 100; ++k) {
      char key[32];
      std::snprintf(key, sizeof key, "range/%03d/%02d", t, k);
      ops.push_back({Operation::Kind::put, key, std::string(100, 'x')});
    }
    (void)store.txn({}, ops);
  }
}

void BM_Range(benchmark::State& state, const char* prefix, size_t expected) {
  Store* store = store_for(state);
  if (store == nullptr) return;
  fill(*store);
  for (auto _ : state) {
    auto result = store->range(prefix);
    if (!result || result->kvs.size() != expected) state.SkipWithError("range failed");
  }
}
void BM_Range100Of10k(benchmark::State& state) {
  BM_Range(state, "range/042/", 100);
}
void BM_RangeAll10k(benchmark::State& state) {
  BM_Range(state, "range/", 10000);
}

BENCHMARK(BM_PutSingleKey)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TxnThreeKeysCompare)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Range100Of10k)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RangeAll10k)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
