#include "store_testing.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

namespace openvpc::store::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/openvpc-store-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) std::abort();
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add, ignored);
  std::filesystem::remove_all(path_, ignored);
}

int free_port() {
  static std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> pick(20000, 39999);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int port = pick(random);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) continue;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    if (bound) return port;
  }
  return 0;
}

std::string etcd_binary() {
  for (const char* candidate : {"/usr/bin/etcd", "/usr/local/bin/etcd"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  return "";
}

std::unique_ptr<EtcdCluster> EtcdCluster::start(const std::string& root, int members) {
  if (etcd_binary().empty()) return nullptr;
  for (int attempt = 0; attempt < 4; ++attempt) {
    std::unique_ptr<EtcdCluster> cluster(new EtcdCluster());
    for (int i = 0; i < members; ++i) {
      Member member;
      member.name = "n" + std::to_string(i);
      member.data_dir = root + "/etcd-" + std::to_string(attempt) + "-" + member.name;
      member.client_port = free_port();
      member.peer_port = free_port();
      cluster->members_.push_back(member);
    }
    bool launched = true;
    for (int i = 0; i < members; ++i) launched = launched && cluster->launch(i);
    bool ready = launched;
    for (int i = 0; i < members && ready; ++i) {
      ready = cluster->wait_ready(i, std::chrono::seconds(10));
    }
    if (ready) return cluster;
    // cluster's destructor kills what started; the next attempt uses other ports
  }
  return nullptr;
}

EtcdCluster::~EtcdCluster() {
  for (int i = 0; i < static_cast<int>(members_.size()); ++i) kill(i);
}

std::vector<std::string> EtcdCluster::endpoints() const {
  std::vector<std::string> result;
  for (int i = 0; i < static_cast<int>(members_.size()); ++i) result.push_back(endpoint(i));
  return result;
}

std::string EtcdCluster::endpoint(int member) const {
  return "http://127.0.0.1:" + std::to_string(members_[member].client_port);
}

int EtcdCluster::leader() const {
  for (int i = 0; i < static_cast<int>(members_.size()); ++i) {
    if (members_[i].pid <= 0) continue;
    httplib::Client client("127.0.0.1", members_[i].client_port);
    client.set_connection_timeout(std::chrono::milliseconds(500));
    client.set_read_timeout(std::chrono::seconds(2));
    auto response = client.Post("/v3/maintenance/status", "{}", "application/json");
    if (!response || response->status != 200) continue;
    auto status = nlohmann::json::parse(response->body, nullptr, false);
    if (!status.is_object() || !status.contains("leader") || !status.contains("header")) continue;
    const auto& self = status["header"]["member_id"];
    if (status["leader"] == self) return i;
  }
  return -1;
}

void EtcdCluster::kill(int member) {
  Member& m = members_[member];
  if (m.pid <= 0) return;
  ::kill(m.pid, SIGKILL);
  ::waitpid(m.pid, nullptr, 0);
  m.pid = -1;
}

bool EtcdCluster::restart(int member) {
  kill(member);
  return launch(member) && wait_ready(member, std::chrono::seconds(10));
}

std::string EtcdCluster::initial_cluster() const {
  std::string result;
  for (const auto& m : members_) {
    if (!result.empty()) result += ",";
    result += m.name + "=http://127.0.0.1:" + std::to_string(m.peer_port);
  }
  return result;
}

bool EtcdCluster::launch(int member) {
  Member& m = members_[member];
  const std::string client = "http://127.0.0.1:" + std::to_string(m.client_port);
  const std::string peer = "http://127.0.0.1:" + std::to_string(m.peer_port);
  const std::string binary = etcd_binary();
  std::vector<std::string> args = {binary,
                                   "--name",
                                   m.name,
                                   "--data-dir",
                                   m.data_dir,
                                   "--listen-client-urls",
                                   client,
                                   "--advertise-client-urls",
                                   client,
                                   "--listen-peer-urls",
                                   peer,
                                   "--initial-advertise-peer-urls",
                                   peer,
                                   "--initial-cluster",
                                   initial_cluster()};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string log = m.data_dir + ".log";
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {  // only async-signal-safe calls until exec
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  m.pid = pid;
  return true;
}

bool EtcdCluster::wait_ready(int member, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  httplib::Client client("127.0.0.1", members_[member].client_port);
  client.set_connection_timeout(std::chrono::milliseconds(200));
  client.set_read_timeout(std::chrono::seconds(2));
  client.set_tcp_nodelay(true);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(members_[member].pid, &status, WNOHANG) != 0) {  // it exited: reaped
      members_[member].pid = -1;
      return false;
    }
    auto response = client.Post("/v3/kv/range", R"({"key":"AA=="})", "application/json");
    if (response && response->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

namespace {

[[noreturn]] void write_until_killed(
    const std::function<Result<std::unique_ptr<Store>>()>& open_store, int fd) {
  auto store = open_store();
  if (!store) ::_exit(2);
  for (int64_t i = 0; i < 1000000; ++i) {
    const std::string n = std::to_string(i);
    auto result = (*store)->txn(
        {}, {{Operation::Kind::put, "a/" + n, n}, {Operation::Kind::put, "b/" + n, n}});
    if (!result || !result->succeeded) ::_exit(3);
    const int64_t ack[2] = {i, result->revision};
    if (::write(fd, ack, sizeof ack) != sizeof ack) ::_exit(4);
  }
  ::_exit(0);
}

}  // namespace

WriterRun run_and_kill_writer(const std::function<Result<std::unique_ptr<Store>>()>& open_store,
                              size_t kill_after, const std::function<void()>& on_kill) {
  WriterRun run;
  int fds[2];
  if (::pipe(fds) != 0) return run;
  const pid_t child = ::fork();
  if (child < 0) return run;
  if (child == 0) {
    ::close(fds[0]);
    write_until_killed(open_store, fds[1]);
  }
  ::close(fds[1]);
  bool killed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    if (!killed &&
        (run.acknowledged.size() >= kill_after || std::chrono::steady_clock::now() > deadline)) {
      ::kill(child, SIGKILL);  // mid-burst: the child is inside some transaction right now
      killed = true;
      on_kill();
    }
    pollfd readable{fds[0], POLLIN, 0};
    if (::poll(&readable, 1, 1000) <= 0 && killed) break;
    int64_t ack[2];
    if (::read(fds[0], ack, sizeof ack) != sizeof ack) break;  // EOF (a torn record: no ack)
    run.acknowledged[ack[0]] = ack[1];
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  run.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  return run;
}

void expect_durable(Store& store, const WriterRun& run) {
  for (const auto& [index, revision] : run.acknowledged) {
    const std::string n = std::to_string(index);
    auto a = store.get("a/" + n);
    ASSERT_TRUE(a) << a.error().message;
    ASSERT_TRUE(a->has_value()) << "lost acknowledged write " << n;
    EXPECT_EQ((*a)->mod_revision, revision);
  }
  auto as = store.range("a/");
  auto bs = store.range("b/");
  ASSERT_TRUE(as && bs);
  ASSERT_EQ(as->kvs.size(), bs->kvs.size()) << "a transaction was applied by half";
  for (size_t i = 0; i < as->kvs.size(); ++i) {
    EXPECT_EQ(as->kvs[i].key.substr(2), bs->kvs[i].key.substr(2));
    EXPECT_EQ(as->kvs[i].value, bs->kvs[i].value);
    EXPECT_EQ(as->kvs[i].mod_revision, bs->kvs[i].mod_revision);
  }
  EXPECT_GE(as->kvs.size(), run.acknowledged.size());
}

}  // namespace openvpc::store::testing
