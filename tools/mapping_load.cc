// mapping-load — how fast the mapping service fans a change out to many routers.
//
// One MappingServer in this process; N lightweight routers (gRPC callback-API streams, one
// channel and TCP connection each, no thread each) in a forked child, so the server's RSS is
// this process's alone. Every host gets its own program (a VPC, subnet, route table, ACL, two
// security groups with --members members, its ENI, --mappings mappings). Then --changes times:
// a rule of the security group every host shares changes, the controller publishes every
// host's new program, and we wait until every host has ACKed it. Reports the time from the
// first publish to the last ACK (p50/p99/max over the changes), each host's publish-to-ACK
// latency (p50/p99 over all), and the RSS of both processes. The hosts are published with one
// MappingServer::publish_all (--threads N of them, 0: its default); --serial calls publish() per
// host instead. A host's latency counts from its own publish() call, or from the start of the
// publish_all call that carried it.
//
// With --tls the service runs as the controller runs it by default: mutual TLS, a CA made for
// the run (in a temporary folder) and a certificate per router, whose host id the server
// checks against every Hello.
//
// --streams-per-connection K lets K routers share one channel (K HTTP/2 streams on one TCP
// connection): the server still serves one Subscribe stream, one host table entry and one ACK
// per router, but holds a descriptor per connection, so 50,000 routers fit under an open-files
// limit of 20,000 (this sandbox's, which only CAP_SYS_RESOURCE could raise). Real routers each
// have their own connection; compare with K = 1 at a size where both run.
//
//   mapping-load [--routers 1000] [--changes 20] [--mappings 100] [--members 50] [--no-apply]
//                [--tls] [--serial] [--threads N] [--streams-per-connection K]
#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mapping.grpc.pb.h"
#include "mapping/mapping_server.h"
#include "mapping/program_delta.h"
#include "pki/certificate_authority.h"

namespace openvpc::mapping {
namespace {

using Clock = std::chrono::steady_clock;

struct LoadOptions {
  int routers = 1000;
  int changes = 20;
  int mappings = 100;
  int members = 50;
  bool apply = true;               // routers apply each update (decode + delta), as a real one does
  bool tls = false;                // mutual TLS (made before the fork: both sides inherit it)
  bool serial = false;             // publish() per host instead of publish_all()
  int threads = 0;                 // MappingServerOptions::publish_threads
  int streams_per_connection = 1;  // routers sharing one channel (plaintext only)
};

// The run's PKI: the server's credentials and one per router (index = host number).
struct LoadTls {
  pki::Credentials server;
  std::vector<pki::Credentials> routers;
};

// ---- the routers (child process) ------------------------------------------------------------

// A router reduced to the protocol: Hello, apply, ACK. Reactions run on gRPC's pool.
class LightRouter final : public grpc::ClientBidiReactor<wire::RouterMessage, wire::ProgramUpdate> {
 public:
  LightRouter(wire::MappingService::Stub* stub, const std::string& host_id, bool apply)
      : apply_(apply) {
    hello_.mutable_hello()->set_host_id(host_id);
    stub->async()->Subscribe(&context_, this);
    StartRead(&update_);
    writing_ = true;
    StartWrite(&hello_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (apply_) {
      program_ =
          update_.has_snapshot() ? update_.snapshot() : mapping::apply(program_, update_.delta());
    }
    uint64_t version = update_.version();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (writing_) {
        pending_ack_ = version;  // ACKs are cumulative: only the newest matters
      } else {
        write_ack(version);
      }
    }
    StartRead(&update_);
  }
  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mutex_);
    writing_ = false;
    if (ok && pending_ack_ != 0) write_ack(std::exchange(pending_ack_, 0));
  }
  void OnDone(const grpc::Status& status) override {
    (void)status;  // the server ends every stream when the run is over
  }

 private:
  void write_ack(uint64_t version) {
    ack_.mutable_ack()->set_version(version);
    writing_ = true;
    StartWrite(&ack_);
  }
  const bool apply_;
  grpc::ClientContext context_;
  wire::RouterMessage hello_, ack_;
  wire::ProgramUpdate update_;
  wire::Program program_;
  std::mutex mutex_;
  bool writing_ = false;
  uint64_t pending_ack_ = 0;
};

[[noreturn]] void run_routers(const LoadOptions& options, const LoadTls* tls, int port_fd,
                              int stop_fd) {
  // As MappingServer::start does for the server: 10,000 routers in one process would otherwise
  // spend a fifth of its CPU in abseil's deadlock detection, a cost a real router (one
  // stream) never pays.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  int port = 0;
  if (read(port_fd, &port, sizeof port) != sizeof port) _exit(1);
  std::string target = "127.0.0.1:" + std::to_string(port);
  std::vector<std::unique_ptr<wire::MappingService::Stub>> stubs;
  std::vector<std::unique_ptr<LightRouter>> routers;
  for (int i = 0; i < options.routers; ++i) {
    if (i % options.streams_per_connection != 0) {  // another stream on the group's connection
      routers.push_back(std::make_unique<LightRouter>(stubs.back().get(),
                                                      "host-" + std::to_string(i), options.apply));
      continue;
    }
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection per channel
    args.SetMaxReceiveMessageSize(-1);
    std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
    if (tls) {
      grpc::SslCredentialsOptions ssl;
      ssl.pem_root_certs = tls->routers[i].ca_pem;
      ssl.pem_cert_chain = tls->routers[i].cert_pem;
      ssl.pem_private_key = tls->routers[i].key_pem;
      args.SetSslTargetNameOverride("openvpc-controller");
      credentials = grpc::SslCredentials(ssl);
    }
    stubs.push_back(
        wire::MappingService::NewStub(grpc::CreateCustomChannel(target, credentials, args)));
    routers.push_back(std::make_unique<LightRouter>(stubs.back().get(), "host-" + std::to_string(i),
                                                    options.apply));
  }
  char byte;
  (void)!read(stop_fd, &byte, 1);  // until the server side is done (or gone)
  std::fflush(stdout);
  _exit(0);  // no teardown of 10k streams: the kernel closes the sockets
}

// ---- the controller (this process) ----------------------------------------------------------

program::Program host_program(const LoadOptions& o, int host, int change) {
  using namespace program;
  Program p;
  p.generation = change + 1;
  p.host_underlay = IpAddress::v4(0x7f000000u | (1 + host % 250));
  p.router_mac = mac_literal("02:00:00:00:00:01");
  p.vpcs = {{1, "load", {cidr_literal("10.0.0.0/8")}}};
  p.subnets = {{2, "all", 1, cidr_literal("10.0.0.0/8"), 3, 4}};
  p.network_acls = {{3,
                     "default",
                     1,
                     {{100, Direction::ingress, {}, cidr_literal("0.0.0.0/0"), AclAction::allow},
                      {100, Direction::egress, {}, cidr_literal("0.0.0.0/0"), AclAction::allow}}}};
  p.route_tables = {{4, "main", 1, {{cidr_literal("10.0.0.0/8"), RouteTargetKind::local, 0}}}};
  SecurityGroup shared{5, "shared", 1, {}, {}};
  uint16_t port = static_cast<uint16_t>(1000 + change);  // what each change changes
  shared.rules = {{Direction::ingress, {6, {port, port}, -1, -1}, {}, 5},
                  {Direction::egress, {}, cidr_literal("0.0.0.0/0"), 0}};
  for (int m = 0; m < o.members; ++m)
    shared.member_addresses.push_back(IpAddress::v4(0x0a000000u + m));
  p.security_groups = {shared, {6, "own", 1, {}, {IpAddress::v4(0x0a800000u + host)}}};
  p.enis = {{uint32_t(100 + host),
             "eni",
             2,
             mac_literal("02:00:00:00:10:00"),
             {IpAddress::v4(0x0a800000u + host)},
             {5, 6},
             true}};
  for (int m = 0; m < o.mappings; ++m) {
    p.mappings.push_back({1, IpAddress::v4(0x0a000000u + m), IpAddress::v4(0x7f000001u + m % 250),
                          uint32_t(1000 + m), true});
  }
  return p;
}

// Counts the ACKs of one target version; each host's ACK latency from its own publish.
struct AckCounter {
  std::mutex mutex;
  std::condition_variable all_acked;
  uint64_t target = 0;
  int count = 0;
  std::vector<Clock::time_point> published;
  std::vector<double> latencies_ms;

  void on_ack(const std::string& host_id, uint64_t version) {
    auto now = Clock::now();
    size_t host = std::strtoul(host_id.c_str() + 5, nullptr, 10);  // "host-N"
    std::lock_guard<std::mutex> lock(mutex);
    if (version != target || host >= published.size()) return;
    latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(now - published[host]).count());
    if (++count == static_cast<int>(published.size())) all_acked.notify_all();
  }
  void expect(uint64_t version) {
    std::lock_guard<std::mutex> lock(mutex);
    target = version;
    count = 0;
  }
  bool wait(std::chrono::seconds limit) {
    std::unique_lock<std::mutex> lock(mutex);
    return all_acked.wait_for(lock, limit,
                              [&] { return count == static_cast<int>(published.size()); });
  }
};

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(p * static_cast<double>(values.size()) + 0.999999);
  return values[std::min(values.size(), std::max<size_t>(index, 1)) - 1];
}

std::string proc_status(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) {
      line.erase(0, field.size() + 1);
      line.erase(0, line.find_first_not_of(" \t"));
      return line;
    }
  }
  return "?";
}

LoadOptions parse(int argc, char** argv) {
  LoadOptions o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
    if (flag == "--routers")
      o.routers = value();
    else if (flag == "--changes")
      o.changes = value();
    else if (flag == "--mappings")
      o.mappings = value();
    else if (flag == "--members")
      o.members = value();
    else if (flag == "--no-apply")
      o.apply = false;
    else if (flag == "--tls")
      o.tls = true;
    else if (flag == "--serial")
      o.serial = true;
    else if (flag == "--threads")
      o.threads = value();
    else if (flag == "--streams-per-connection")
      o.streams_per_connection = value();
    else {
      std::fprintf(stderr,
                   "usage: mapping-load [--routers N] [--changes N] [--mappings N] [--members N] "
                   "[--no-apply] [--tls] [--serial] [--threads N] [--streams-per-connection K]\n");
      std::exit(2);
    }
  }
  if (o.streams_per_connection < 1 || (o.tls && o.streams_per_connection != 1)) {
    // With TLS each router proves its host id with its own certificate: its own connection.
    std::fprintf(stderr, "--streams-per-connection must be >= 1, and 1 with --tls\n");
    std::exit(2);
  }
  return o;
}

// One descriptor per stream on each side. Root may raise the hard limit too (50 000 routers
// need more than the 20 000 a shell often gets), up to the kernel's fs.nr_open.
// Returns the limit in force.
rlim_t raise_file_limit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  std::ifstream nr_open("/proc/sys/fs/nr_open");
  rlim_t most = 0;
  if (nr_open >> most && most > limit.rlim_max) {
    rlimit raised{most, most};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return most;
  }
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

struct Timings {
  std::vector<double> publish_ms;      // per change: the publish loop over all hosts
  std::vector<double> all_acked_ms;    // per change: first publish to last ACK
  std::vector<double> host_latencies;  // per host and change: its publish to its ACK
  std::vector<double> server_cpu_ms;   // per change: this process's CPU time (all threads)
  std::vector<double> routers_cpu_ms;  // per change: the routers' process's
};

// This process's CPU time so far (user + system, every thread): unlike the wall clock, it does
// not move with what else the machine runs.
double process_cpu_ms() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto ms = [](const timeval& t) { return double(t.tv_sec) * 1e3 + double(t.tv_usec) / 1e3; };
  return ms(usage.ru_utime) + ms(usage.ru_stime);
}

// The same for another process (the routers'), from /proc/PID/stat.
double process_cpu_ms(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t end = stat.rfind(')');  // the command name may hold spaces
  if (end == std::string::npos) return 0;
  std::istringstream fields(stat.substr(end + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::atof(field.c_str());  // utime, stime
  }
  return ticks * 1e3 / double(sysconf(_SC_CLK_TCK));
}

// Publishes every host's program (index = host number) and stamps each host's publish time.
void publish_hosts(const LoadOptions& o, MappingServer& server, AckCounter& acks,
                   const std::vector<program::Program>& programs,
                   const std::vector<std::string>& names) {
  if (o.serial) {
    for (size_t h = 0; h < programs.size(); ++h) {
      {
        std::lock_guard<std::mutex> lock(acks.mutex);
        acks.published[h] = Clock::now();
      }
      server.publish(names[h], programs[h]);
    }
    return;
  }
  std::vector<HostProgram> batch;
  batch.reserve(programs.size());
  for (size_t h = 0; h < programs.size(); ++h) batch.push_back({names[h], &programs[h]});
  {
    std::lock_guard<std::mutex> lock(acks.mutex);
    std::fill(acks.published.begin(), acks.published.end(), Clock::now());
  }
  server.publish_all(batch);
}

// The measured part: --changes rounds of publish-to-all, then wait for every ACK.
bool run_changes(const LoadOptions& o, MappingServer& server, AckCounter& acks,
                 const std::vector<std::string>& names, pid_t routers, Timings& t) {
  for (int c = 1; c <= o.changes; ++c) {
    // Encode outside the timed region: the controller's compiler would hand us programs.
    std::vector<program::Program> programs;
    for (int h = 0; h < o.routers; ++h) programs.push_back(host_program(o, h, c));
    acks.expect(uint64_t(c) + 1);
    {
      std::lock_guard<std::mutex> lock(acks.mutex);
      acks.latencies_ms.clear();
    }
    double cpu0 = process_cpu_ms(), routers_cpu0 = process_cpu_ms(routers);
    auto t0 = Clock::now();
    publish_hosts(o, server, acks, programs, names);
    auto t1 = Clock::now();
    if (!acks.wait(std::chrono::seconds(600)))
      return std::fprintf(stderr, "change %d never fully ACKed\n", c), false;
    auto t2 = Clock::now();
    t.server_cpu_ms.push_back(process_cpu_ms() - cpu0);
    t.routers_cpu_ms.push_back(process_cpu_ms(routers) - routers_cpu0);
    t.publish_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    t.all_acked_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
    std::lock_guard<std::mutex> lock(acks.mutex);
    t.host_latencies.insert(t.host_latencies.end(), acks.latencies_ms.begin(),
                            acks.latencies_ms.end());
  }
  return true;
}

// A CA in a temporary folder (removed again), the server's and every router's credentials.
std::optional<LoadTls> make_tls(int routers) {
  char folder[] = "/tmp/mapping-load-pki-XXXXXX";
  if (::mkdtemp(folder) == nullptr) return std::nullopt;
  auto ca = pki::CertificateAuthority::open_or_create(std::string(folder) + "/pki");
  std::optional<LoadTls> out;
  if (ca) {
    auto server = ca->issue(
        {.id = "controller", .role = pki::Role::controller, .dns_sans = {"openvpc-controller"}});
    if (server) {
      out = LoadTls{*server, {}};
      for (int i = 0; i < routers && out; ++i) {
        auto router = ca->issue({.id = "host-" + std::to_string(i)});
        if (router) {
          out->routers.push_back(std::move(*router));
        } else {
          out.reset();
        }
      }
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(folder, ec);
  return out;
}

int run_controller(const LoadOptions& o, const LoadTls* tls, pid_t child, int port_fd) {
  AckCounter acks;
  acks.published.resize(o.routers);
  MappingServerOptions server_options;
  if (tls) server_options.tls = tls->server;
  server_options.publish_threads = static_cast<size_t>(o.threads);
  server_options.on_ack = [&acks](const std::string& host, uint64_t version) {
    acks.on_ack(host, version);
  };
  MappingServer server(server_options);
  auto port = server.start();
  if (!port.ok()) return std::fprintf(stderr, "%s\n", port.error().message.c_str()), 1;

  std::vector<std::string> names;
  std::vector<program::Program> first;
  for (int h = 0; h < o.routers; ++h) {
    names.push_back("host-" + std::to_string(h));
    first.push_back(host_program(o, h, 0));
  }
  auto start = Clock::now();
  acks.expect(1);
  publish_hosts(o, server, acks, first, names);
  first.clear();
  int port_value = *port;
  if (write(port_fd, &port_value, sizeof port_value) != sizeof port_value) return 1;
  if (!acks.wait(std::chrono::seconds(600)))
    return std::fprintf(stderr, "routers never synced\n"), 1;
  double connect_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "routers=%d (%s, %d per connection) connected and ACKed their snapshot in %.2f s; "
      "server RSS %s, threads %s\n",
      o.routers, tls ? "mutual TLS" : "plaintext", o.streams_per_connection, connect_s,
      proc_status(getpid(), "VmRSS").c_str(), proc_status(getpid(), "Threads").c_str());

  Timings t;
  if (!run_changes(o, server, acks, names, child, t)) return 1;
  std::printf(
      "changes=%d (one security-group rule + generation per host; %d mappings, %d members); "
      "%s\n",
      o.changes, o.mappings, o.members, o.serial ? "publish() per host" : "publish_all()");
  std::printf("publish loop (all hosts):   p50 %.1f ms  p99 %.1f ms\n",
              percentile(t.publish_ms, 0.5), percentile(t.publish_ms, 0.99));
  std::printf("first publish -> last ACK:  p50 %.1f ms  p99 %.1f ms  max %.1f ms\n",
              percentile(t.all_acked_ms, 0.5), percentile(t.all_acked_ms, 0.99),
              *std::max_element(t.all_acked_ms.begin(), t.all_acked_ms.end()));
  std::printf(
      "CPU per change:             server p50 %.1f ms (%.1f us per host), routers p50 %.1f ms\n",
      percentile(t.server_cpu_ms, 0.5), 1e3 * percentile(t.server_cpu_ms, 0.5) / o.routers,
      percentile(t.routers_cpu_ms, 0.5));
  std::printf("per-host publish -> ACK:    p50 %.1f ms  p99 %.1f ms  (%zu ACKs)\n",
              percentile(t.host_latencies, 0.5), percentile(t.host_latencies, 0.99),
              t.host_latencies.size());
  std::printf("server RSS %s (peak %s), threads %s; routers' process RSS %s, threads %s\n",
              proc_status(getpid(), "VmRSS").c_str(), proc_status(getpid(), "VmHWM").c_str(),
              proc_status(getpid(), "Threads").c_str(), proc_status(child, "VmRSS").c_str(),
              proc_status(child, "Threads").c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace openvpc::mapping

int main(int argc, char** argv) {
  using namespace openvpc::mapping;
  LoadOptions options = parse(argc, argv);
  // Each side holds a descriptor per connection, plus gRPC's own (a few hundred at most).
  const int connections =
      (options.routers + options.streams_per_connection - 1) / options.streams_per_connection;
  if (const rlim_t files = raise_file_limit(); rlim_t(connections) + 512 > files) {
    return std::fprintf(stderr,
                        "%d connections need more than the %llu open files this process may "
                        "have (raising the hard limit needs CAP_SYS_RESOURCE; "
                        "--streams-per-connection shares connections)\n",
                        connections, static_cast<unsigned long long>(files)),
           2;
  }
  std::optional<LoadTls> tls;
  if (options.tls && !(tls = make_tls(options.routers))) {
    return std::fprintf(stderr, "cannot make the run's CA and certificates\n"), 1;
  }
  const LoadTls* tls_material = tls ? &*tls : nullptr;
  int port_pipe[2], stop_pipe[2];
  if (pipe(port_pipe) != 0 || pipe(stop_pipe) != 0) return 1;
  // Fork before either side touches gRPC.
  pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) {
    close(port_pipe[1]);
    close(stop_pipe[1]);
    run_routers(options, tls_material, port_pipe[0], stop_pipe[0]);
  }
  close(port_pipe[0]);
  close(stop_pipe[0]);
  int rc = run_controller(options, tls_material, child, port_pipe[1]);
  close(stop_pipe[1]);  // the routers exit
  close(port_pipe[1]);
  int status = 0;
  waitpid(child, &status, 0);
  // Skip tearing down thousands of streams; the routers are gone already.
  std::fflush(stdout);
  _exit(rc);
}
