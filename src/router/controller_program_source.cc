#include "router/controller_program_source.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace openvpc::router {

ControllerProgramSource::ControllerProgramSource(std::string target, std::string host_id,
                                                 std::string tls_dir)
    : target_(target) {
  mapping::MappingClientOptions options;
  options.tls_dir = std::move(tls_dir);
  options.target = std::move(target);
  options.host_id = std::move(host_id);
  client_ = std::make_unique<mapping::MappingClient>(
      options, [this](const program::Program& program, uint64_t version) {
        return receive(program, version);
      });
  client_->start();
}

ControllerProgramSource::~ControllerProgramSource() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  client_->stop();
}

Result<void> ControllerProgramSource::receive(const program::Program& program, uint64_t version) {
  std::unique_lock<std::mutex> lock(mutex_);
  pending_ = program;
  pending_version_ = version;
  wake_.notify_all();
  // ACK (on return) only once the router thread has applied or refused this version (or a
  // later one that replaced it before the router got to it: its outcome stands for both).
  wake_.wait(lock, [&] { return stopping_ || settled_version_ >= version; });
  if (stopping_ && settled_version_ < version) return make_error("program.refused", "stopping");
  if (!refusal_.empty()) return make_error("program.refused", refusal_);
  return {};
}

bool ControllerProgramSource::changed() {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_.has_value();
}

Result<program::Program> ControllerProgramSource::fetch() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (pending_) {
    last_ = std::move(*pending_);
    pending_.reset();
    fetched_version_ = pending_version_;
  }
  if (!last_) return make_error("program.source", "no program from " + target_ + " yet");
  return *last_;
}

void ControllerProgramSource::settled(bool applied, const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (fetched_version_ <= settled_version_) return;
    settled_version_ = fetched_version_;
    refusal_ = applied ? "" : (reason.empty() ? "refused" : reason);
    if (!applied) spdlog::warn("controller version {} refused: {}", fetched_version_, refusal_);
  }
  wake_.notify_all();
}

void ControllerProgramSource::report_flow_logs(std::vector<mapping::FlowLogStatus> statuses) {
  client_->report_flow_logs(std::move(statuses));
}

std::string ControllerProgramSource::describe() const {
  return "controller " + target_;
}

bool ControllerProgramSource::wait_first(std::chrono::milliseconds limit) {
  std::unique_lock<std::mutex> lock(mutex_);
  return wake_.wait_for(lock, limit, [&] { return pending_.has_value() || last_.has_value(); });
}

}  // namespace openvpc::router
