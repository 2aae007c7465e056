#include "mapping/mapping_server.h"

#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <random>
#include <thread>

#include "mapping.grpc.pb.h"
#include "mapping/program_codec.h"
#include "mapping/sharded_for.h"

namespace openvpc::mapping {

// What the reactors share with the server: the table, the options, and a count of live
// reactors so that stop() can wait for the last one.
struct MappingServer::Shared {
  HostTable* table;
  NodeRegistry* nodes;
  MappingRefusals* refusals;
  const MappingServerOptions* options;
  std::mutex mutex;
  std::condition_variable idle;
  size_t live_reactors = 0;

  void reactor_started() {
    std::lock_guard<std::mutex> lock(mutex);
    ++live_reactors;
  }
  void reactor_done() {
    std::lock_guard<std::mutex> lock(mutex);
    if (--live_reactors == 0) idle.notify_all();
  }
  void wait_idle() {
    std::unique_lock<std::mutex> lock(mutex);
    idle.wait(lock, [this] { return live_reactors == 0; });
  }
};

namespace {

using Shared = MappingServer::Shared;

// With TLS on: OK when the call's certificate allows claiming HOST_ID in ROLE, otherwise
// PERMISSION_DENIED (counted). Always OK in plaintext.
grpc::Status authorize(Shared* shared, const grpc::CallbackServerContext* context,
                       const std::string& host_id, std::optional<NodeRole> role) {
  if (!shared->options->tls) return grpc::Status::OK;
  auto auth = context->auth_context();
  auto identity = auth ? peer_identity(*auth) : std::nullopt;
  std::optional<MappingRefusal> refusal =
      identity ? check_claim(*identity, host_id, role) : MappingRefusal::no_identity;
  if (!refusal) return grpc::Status::OK;
  shared->refusals->count(*refusal);
  std::string who = identity
                        ? identity->id + " (" + std::string(pki::to_string(identity->role)) + ")"
                        : std::string("a peer without a certificate");
  return {grpc::StatusCode::PERMISSION_DENIED,
          who + " may not act as " + host_id + ": " + std::string(to_string(*refusal))};
}

// One router's Subscribe stream. Reads Hello then ACKs; writes the queued updates one at a
// time. Lock order: the table's mutex, then this reactor's (send/close come from the table);
// the reactor never calls the table while holding its own.
class SubscribeReactor final
    : public grpc::ServerBidiReactor<wire::RouterMessage, wire::ProgramUpdate>,
      public Subscriber {
 public:
  SubscribeReactor(grpc::CallbackServerContext* context, Shared* shared)
      : shared_(shared), context_(context) {
    shared_->reactor_started();
    context->AddInitialMetadata("openvpc-epoch", std::to_string(shared_->table->epoch()));
    StartSendInitialMetadata();
    StartRead(&incoming_);
  }

  void send(std::shared_ptr<const wire::ProgramUpdate> update) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (finishing_) return;
    if (queue_.size() > shared_->options->history_limit) {
      finish_locked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "router too far behind"));
      return;
    }
    queue_.push_back(std::move(update));
    if (queue_.size() == 1) StartWrite(queue_.front().get());
  }

  void close(const std::string& reason) override {
    std::lock_guard<std::mutex> lock(mutex_);
    finish_locked(grpc::Status(grpc::StatusCode::UNAVAILABLE, reason));
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the router closed its side or the call broke
      std::lock_guard<std::mutex> lock(mutex_);
      finish_locked(grpc::Status::OK);
      return;
    }
    grpc::Status problem = handle(incoming_);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!problem.ok()) {
      finish_locked(problem);
    } else if (!finishing_) {
      StartRead(&incoming_);
    }
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.pop_front();
    if (!ok) finish_locked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"));
    if (finishing_) {
      queue_.clear();
      if (!finish_called_) call_finish_locked();
    } else if (!queue_.empty()) {
      StartWrite(queue_.front().get());
    }
  }

  void OnCancel() override {
    std::lock_guard<std::mutex> lock(mutex_);
    finish_locked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    if (!host_id_.empty()) shared_->table->detach(host_id_, this);
    if (role_ != NodeRole::router) shared_->nodes->detach(host_id_, this);
    shared_->reactor_done();
    delete this;
  }

 private:
  // Runs on the read reaction only, so host_id_ needs no lock.
  grpc::Status handle(const wire::RouterMessage& message) {
    if (message.has_hello()) {
      if (!host_id_.empty() || message.hello().host_id().empty()) {
        return {grpc::StatusCode::INVALID_ARGUMENT, "one Hello with a host id, first"};
      }
      NodeRole role = NodeRole::router;
      if (!parse_node_role(message.hello().role(), role)) {
        return {grpc::StatusCode::INVALID_ARGUMENT, "unknown role"};
      }
      if (grpc::Status allowed = authorize(shared_, context_, message.hello().host_id(), role);
          !allowed.ok()) {
        return allowed;
      }
      auto underlay = decode_address(message.hello().underlay());
      if (role != NodeRole::router && (!underlay || !underlay->is_v4())) {
        return {grpc::StatusCode::INVALID_ARGUMENT,
                "edge and hyperplane nodes give their IPv4 "
                "underlay address"};
      }
      host_id_ = message.hello().host_id();
      role_ = role;
      shared_->table->attach(message.hello(), this);
      if (role != NodeRole::router) shared_->nodes->attach({host_id_, role, *underlay}, this);
      return grpc::Status::OK;
    }
    if (message.has_ack() && !host_id_.empty()) {
      uint64_t version = message.ack().version();
      shared_->table->report(host_id_, this, message.ack());
      if (message.ack().refused()) {
        shared_->table->refuse(host_id_, this, version, message.ack().reason());
        return grpc::Status::OK;
      }
      if (shared_->table->acknowledge(host_id_, this, version) && shared_->options->on_ack) {
        shared_->options->on_ack(host_id_, version);
      }
      return grpc::Status::OK;
    }
    return {grpc::StatusCode::INVALID_ARGUMENT, "expected Hello first, then Acks"};
  }

  // Finish() waits for the write in flight: OnWriteDone calls it then.
  void finish_locked(grpc::Status status) {
    if (finishing_) return;
    finishing_ = true;
    status_ = std::move(status);
    if (queue_.empty()) {
      call_finish_locked();
    } else {
      queue_.resize(1);  // keep only the write in flight
    }
  }
  void call_finish_locked() {
    finish_called_ = true;
    Finish(status_);
  }

  Shared* shared_;
  const grpc::CallbackServerContext* context_;
  wire::RouterMessage incoming_;
  std::string host_id_;
  NodeRole role_ = NodeRole::router;
  std::mutex mutex_;
  std::deque<std::shared_ptr<const wire::ProgramUpdate>> queue_;  // front: in flight
  bool finishing_ = false;
  bool finish_called_ = false;
  grpc::Status status_;
};

}  // namespace

class MappingServiceImpl final : public wire::MappingService::CallbackService {
 public:
  explicit MappingServiceImpl(Shared* shared) : shared_(shared) {}

  grpc::ServerBidiReactor<wire::RouterMessage, wire::ProgramUpdate>* Subscribe(
      grpc::CallbackServerContext* context) override {
    return new SubscribeReactor(context, shared_);
  }

  grpc::ServerUnaryReactor* Lookup(grpc::CallbackServerContext* context,
                                   const wire::LookupRequest* request,
                                   wire::LookupReply* reply) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (grpc::Status allowed = authorize(shared_, context, request->host_id(), std::nullopt);
        !allowed.ok()) {
      reactor->Finish(allowed);
      return reactor;
    }
    auto address = decode_address(request->address());
    if (!address) {
      reactor->Finish({grpc::StatusCode::INVALID_ARGUMENT, "address must be 4 or 16 bytes"});
      return reactor;
    }
    const auto& lookup = shared_->options->lookup;
    auto mapping = lookup ? lookup(request->vpc(), *address) : std::nullopt;
    reply->set_found(mapping.has_value());
    if (mapping) *reply->mutable_mapping() = encode(*mapping);
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  Shared* shared_;
};

namespace {

std::shared_ptr<grpc::ServerCredentials> server_credentials(const MappingServerOptions& options) {
  if (!options.tls) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = options.tls->ca_pem;
  ssl.pem_key_cert_pairs.push_back({options.tls->key_pem, options.tls->cert_pem});
  return grpc::SslServerCredentials(ssl);
}

uint64_t pick_epoch(uint64_t requested) {
  if (requested != 0) return requested;
  std::random_device device;
  uint64_t epoch = 0;
  while (epoch == 0) epoch = (uint64_t{device()} << 32) | device();
  return epoch;
}

}  // namespace

MappingServer::MappingServer(MappingServerOptions options)
    : options_(std::move(options)),
      table_(pick_epoch(options_.epoch), options_.history_limit),
      nodes_([this] {
        if (options_.on_nodes) options_.on_nodes();
      }),
      shared_(std::make_unique<Shared>()) {
  shared_->table = &table_;
  shared_->nodes = &nodes_;
  shared_->refusals = &refusals_;
  shared_->options = &options_;
}

MappingServer::~MappingServer() {
  stop();
}

Result<int> MappingServer::start() {
  std::lock_guard<std::mutex> lock(lifecycle_mutex_);
  if (server_) return make_error("mapping.running", "the mapping server is already serving");
  std::string address = options_.address;
  if (port_ != 0) address = address.substr(0, address.rfind(':') + 1) + std::to_string(port_);
  // Debian's abseil is built with deadlock detection on: every absl::Mutex lock in gRPC then
  // walks a graph of every mutex the process has held, which grows with the streams — with
  // 1,000 routers it took 8% of the server's CPU (bench/README.md). gRPC's
  // locking is gRPC's to get right; the process-wide switch is flipped here, where the streams
  // are.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  auto service = std::make_unique<MappingServiceImpl>(shared_.get());
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, server_credentials(options_), &port);
  builder.RegisterService(service.get());
  // Two servers on one port would split the routers silently.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Routers send keepalive pings on their long-lived stream; accept them every 5 s.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  auto server = builder.BuildAndStart();
  if (!server || port == 0) {
    return make_error("mapping.bind", "cannot serve the mapping service on " + address);
  }
  server_ = std::move(server);
  service_ = std::move(service);
  port_ = port;
  return port;
}

void MappingServer::stop() {
  std::lock_guard<std::mutex> lock(lifecycle_mutex_);
  if (!server_) return;
  table_.close_all("the mapping server is stopping");
  // Streams not yet past Hello are not in the table: the deadline cancels them.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
  shared_->wait_idle();
  server_.reset();
  service_.reset();
}

uint64_t MappingServer::publish(const std::string& host_id, const program::Program& program) {
  return table_.publish(host_id, encode(program));
}

std::vector<uint64_t> MappingServer::publish_all(std::span<const HostProgram> programs) {
  std::vector<uint64_t> versions(programs.size());
  // Below this many hosts per thread, starting a thread costs more than it saves.
  constexpr size_t kMinHostsPerThread = 64;
  size_t threads = options_.publish_threads;
  if (threads == 0) threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
  threads = std::min(threads, programs.size() / kMinHostsPerThread);
  sharded_for(
      programs.size(), threads, [&](size_t i) { return HostTable::shard_of(programs[i].host_id); },
      [&](size_t i) {
        versions[i] = table_.publish(programs[i].host_id, encode(*programs[i].program));
      });
  return versions;
}

std::vector<HostStatus> MappingServer::hosts() const {
  return table_.hosts();
}

std::optional<HostStatus> MappingServer::host(const std::string& host_id) const {
  for (auto& status : table_.hosts()) {
    if (status.host_id == host_id) return status;
  }
  return std::nullopt;
}

}  // namespace openvpc::mapping
