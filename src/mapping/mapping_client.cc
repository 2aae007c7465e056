#include "mapping/mapping_client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cassert>
#include <functional>

#include "mapping/program_codec.h"
#include "mapping/program_delta.h"

namespace openvpc::mapping {
namespace {

std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const MappingClientOptions& options,
                                                              grpc::ChannelArguments& args) {
  if (options.tls_dir.empty()) return grpc::InsecureChannelCredentials();
  auto files = pki::read_credentials(options.tls_dir);
  if (!files) return nullptr;
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = files->ca_pem;
  ssl.pem_cert_chain = files->cert_pem;
  ssl.pem_private_key = files->key_pem;
  // The controller is named by its certificate, whatever address reaches it.
  args.SetSslTargetNameOverride(options.tls_server_name);
  return grpc::SslCredentials(ssl);
}

std::vector<std::string> split_targets(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  if (out.empty()) out.push_back(text);
  return out;
}

std::shared_ptr<grpc::Channel> make_channel(const MappingClientOptions& options,
                                            const std::string& target) {
  grpc::ChannelArguments args;
  // gRPC's own reconnect backoff would otherwise hold a reconnect back for up to 120 s.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
              static_cast<int>(options.initial_backoff.count()));
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, static_cast<int>(options.initial_backoff.count()));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, static_cast<int>(options.max_backoff.count()));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(options.keepalive.count()));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(options.keepalive.count()));
  args.SetMaxReceiveMessageSize(-1);  // a snapshot of a large VPC can exceed 4 MiB
  auto credentials = channel_credentials(options, args);
  if (!credentials) return nullptr;
  return grpc::CreateCustomChannel(target, credentials, args);
}

}  // namespace

Result<void> check_tls_choice(const std::string& tls_dir, bool insecure) {
  if (tls_dir.empty() == !insecure) {
    return make_error("options.invalid",
                      "--controller needs exactly one of --tls-dir DIR (ca.pem, cert.pem, key.pem "
                      "from `openvpc host add`) and --insecure (a controller started with "
                      "--insecure)");
  }
  if (insecure) return {};
  auto files = pki::read_credentials(tls_dir);
  if (!files) return make_error("options.invalid", "--tls-dir: " + files.error().message);
  return {};
}

MappingClient::MappingClient(MappingClientOptions options, ProgramCallback callback)
    : options_(std::move(options)),
      callback_(std::move(callback)),
      targets_(split_targets(options_.target)),
      jitter_state_(static_cast<uint32_t>(std::hash<std::string>{}(options_.host_id)) | 1) {
  assert(!options_.host_id.empty());
  (void)rebuild_channel();
}

bool MappingClient::rebuild_channel() {
  auto channel = make_channel(options_, targets_[current_]);
  std::shared_ptr<wire::MappingService::Stub> stub;
  if (channel) stub = wire::MappingService::NewStub(channel);
  std::lock_guard<std::mutex> lock(mutex_);
  stub_ = std::move(stub);
  return stub_ != nullptr;
}

std::shared_ptr<wire::MappingService::Stub> MappingClient::stub() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stub_;
}

MappingClient::~MappingClient() {
  stop();
}

void MappingClient::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void MappingClient::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    if (live_context_ != nullptr) live_context_->TryCancel();
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

MappingClientStatus MappingClient::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

std::chrono::milliseconds MappingClient::next_backoff(std::chrono::milliseconds current) {
  // xorshift32: jitter of -20%..+20% so that routers cut off together do not return together.
  jitter_state_ ^= jitter_state_ << 13;
  jitter_state_ ^= jitter_state_ >> 17;
  jitter_state_ ^= jitter_state_ << 5;
  auto jittered = current * (80 + static_cast<int>(jitter_state_ % 41)) / 100;
  return std::max(std::chrono::milliseconds(1), jittered);
}

void MappingClient::run() {
  auto backoff = options_.initial_backoff;
  for (;;) {
    bool reached = session();
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopping_) return;
    if (reached) backoff = options_.initial_backoff;
    auto wait = next_backoff(backoff);
    if (rejected_ || !stub_) wait = std::max(wait, options_.refused_backoff);
    wake_.wait_for(lock, wait, [this] { return stopping_; });
    if (stopping_) return;
    backoff = std::min(backoff * 2, options_.max_backoff);
    if (targets_.size() > 1) {  // the next controller: this one ended or cannot be reached
      current_ = (current_ + 1) % targets_.size();
      lock.unlock();
      (void)rebuild_channel();
    } else if (rejected_ || !stub_) {
      lock.unlock();
      (void)rebuild_channel();  // a fresh handshake, with the certificate on disk now
    }
  }
}

bool MappingClient::session() {
  grpc::ClientContext context;
  std::shared_ptr<wire::MappingService::Stub> stub;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || !stub_) return false;
    live_context_ = &context;
    stub = stub_;
  }
  auto stream = stub->Subscribe(&context);
  wire::RouterMessage hello;
  hello.mutable_hello()->set_host_id(options_.host_id);
  hello.mutable_hello()->set_role(options_.role);
  if (options_.underlay) hello.mutable_hello()->set_underlay(encode_address(*options_.underlay));
  // After a refusal the router does not run what status() names: ask for a snapshot.
  const bool resume = refusal_.empty();
  hello.mutable_hello()->set_last_applied_version(resume ? status().version : 0);
  hello.mutable_hello()->set_epoch(resume ? status().epoch : 0);
  bool reached = false;
  if (stream->Write(hello)) {
    // The server sends its initial metadata as soon as it takes the stream.
    stream->WaitForInitialMetadata();
    reached = context.GetServerInitialMetadata().count("openvpc-epoch") != 0;
  }
  if (reached) {
    std::lock_guard<std::mutex> lock(mutex_);
    status_.connected = true;
    status_.sessions += 1;
    status_.controller = targets_[current_];
  }
  wire::ProgramUpdate update;
  bool server_ended = false;  // the controller finished the call: its status says why
  while (reached) {
    if (!stream->Read(&update)) {
      server_ended = true;
      break;
    }
    if (!apply_update(update).ok()) break;
    wire::RouterMessage ack;
    ack.mutable_ack()->set_version(update.version());
    if (!refusal_.empty()) {
      ack.mutable_ack()->set_refused(true);
      ack.mutable_ack()->set_reason(refusal_);
    }
    if (!send_ack(*stream, std::move(ack))) break;
  }
  // Unblocks a report_flow_logs() write before its lock is taken (a finished call fails writes
  // by itself, and cancelling it would hide the controller's status).
  if (!server_ended) context.TryCancel();
  {
    std::lock_guard<std::mutex> write(write_mutex_);
    live_stream_ = nullptr;
    last_ack_.reset();
  }
  grpc::Status ended = stream->Finish();
  const std::string& why = ended.error_message();
  bool rejected = ended.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
                  (!options_.tls_dir.empty() && !reached &&
                   (why.find("andshake") != std::string::npos ||
                    why.find("SSL") != std::string::npos || why.find("ssl") != std::string::npos));
  std::lock_guard<std::mutex> lock(mutex_);
  rejected_ = rejected;
  live_context_ = nullptr;
  status_.connected = false;
  return reached;
}

void MappingClient::add_reports(wire::Ack& ack) const {
  std::lock_guard<std::mutex> lock(mutex_);
  ack.clear_flow_logs();
  for (const FlowLogStatus& status : flow_logs_) {
    auto* out = ack.add_flow_logs();
    out->set_flow_log(status.flow_log);
    out->set_error(status.error);
  }
  ack.clear_resource_metrics();
  for (const ResourceMetrics& resource : resource_metrics_) {
    auto* out = ack.add_resource_metrics();
    out->set_resource(resource.resource);
    for (const auto& [name, value] : resource.values) {
      auto* metric = out->add_metrics();
      metric->set_name(name);
      metric->set_value(value);
    }
  }
}

bool MappingClient::send_ack(Stream& stream, wire::RouterMessage ack) {
  std::lock_guard<std::mutex> write(write_mutex_);
  add_reports(*ack.mutable_ack());
  live_stream_ = &stream;
  last_ack_ = ack;
  return stream.Write(ack);
}

void MappingClient::report_flow_logs(std::vector<FlowLogStatus> statuses) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (statuses == flow_logs_) return;
    flow_logs_ = std::move(statuses);
  }
  resend_last_ack();
}

void MappingClient::report_resource_metrics(std::vector<ResourceMetrics> metrics) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (metrics == resource_metrics_) return;
    resource_metrics_ = std::move(metrics);
  }
  resend_last_ack();
}

void MappingClient::resend_last_ack() {
  std::lock_guard<std::mutex> write(write_mutex_);
  if (live_stream_ == nullptr || !last_ack_) return;  // the next session's first Ack has them
  add_reports(*last_ack_->mutable_ack());
  (void)live_stream_->Write(*last_ack_);  // a broken stream ends its session on its own
}

Result<void> MappingClient::apply_update(const wire::ProgramUpdate& update) {
  wire::Program next;
  uint64_t epoch = 0;
  uint64_t version = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    epoch = status_.epoch;
    version = status_.version;
  }
  if (update.has_snapshot()) {
    next = update.snapshot();
  } else if (update.has_delta() && update.epoch() == epoch && update.version() == version + 1) {
    next = apply(applied_, update.delta());
  } else {
    return make_error("mapping.out_of_order", "an update that does not follow the applied one");
  }
  auto program = decode(next);
  if (!program.ok()) return program.error();
  Result<void> outcome = callback_(*program, update.version());
  refusal_ = outcome ? "" : outcome.error().message;
  applied_ = std::move(next);  // the base of the next delta either way
  std::lock_guard<std::mutex> lock(mutex_);
  if (!outcome) ++status_.refused;
  status_.epoch = update.epoch();
  status_.version = update.version();
  (update.has_snapshot() ? status_.snapshots : status_.deltas) += 1;
  return {};
}

Result<std::optional<program::Mapping>> MappingClient::lookup(
    uint32_t vpc, const program::IpAddress& address, std::chrono::milliseconds deadline) const {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  wire::LookupRequest request;
  request.set_host_id(options_.host_id);
  request.set_vpc(vpc);
  request.set_address(encode_address(address));
  wire::LookupReply reply;
  auto current = stub();
  if (!current) return make_error("mapping.unavailable", "cannot read the TLS files");
  grpc::Status status = current->Lookup(&context, request, &reply);
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return make_error("mapping.deadline", "no lookup answer within the deadline");
  }
  if (!status.ok()) return make_error("mapping.unavailable", status.error_message());
  if (!reply.found()) return std::optional<program::Mapping>();
  auto mapping = decode(reply.mapping());
  if (!mapping.ok()) return mapping.error();
  return std::optional<program::Mapping>(*mapping);
}

}  // namespace openvpc::mapping
