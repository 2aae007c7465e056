#include "router/flow_log_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "router/flow_log_directory.h"
#include "router/flow_log_writer.h"

namespace openvpc::router {

namespace {

std::string header_line(std::span<const flowlog::FlowLogField> fields) {
  std::string line;
  for (const auto field : fields) {
    if (!line.empty()) line += ' ';
    line += flowlog::field_name(field);
  }
  return line + '\n';
}

// Writes all of `text`; false with errno set when the file refused some of it.
bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    text.remove_prefix(size_t(n));
  }
  return true;
}

}  // namespace

FlowLogFiles::FlowLogFiles(FlowLogFileOptions options) : options_(options) {}

void FlowLogFiles::configure(const program::Program& program) {
  std::map<uint32_t, std::string> subnet_names, subnet_vpcs, vpc_names;
  for (const auto& vpc : program.vpcs) vpc_names[vpc.id] = vpc.name;
  for (const auto& subnet : program.subnets) {
    subnet_names[subnet.id] = subnet.name;
    subnet_vpcs[subnet.id] = vpc_names[subnet.vpc];
  }
  std::map<uint32_t, flowlog::FlowLogInterface> interfaces;
  for (const auto& eni : program.enis) {
    flowlog::FlowLogInterface& i = interfaces[eni.id];
    i.interface_id = eni.name;
    i.vpc_id = subnet_vpcs[eni.subnet];
    i.subnet_id = subnet_names[eni.subnet];
    i.instance_id = eni.instance_id;
    i.region = program.region;
  }
  // The destinations are tried before the lock: file-system calls must not hold up a worker.
  std::vector<std::string> tried;
  for (const auto& config : program.flow_logs) {
    auto outcome = try_destination(config);
    tried.push_back(outcome ? "" : outcome.error().message);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Log> logs;
  std::map<uint32_t, std::vector<size_t>> by_eni;
  for (size_t i = 0; i < program.flow_logs.size(); ++i) {
    const program::FlowLog& config = program.flow_logs[i];
    Log log;
    log.config = config;
    log.delivery.flow_log = config.name;
    log.delivery.destination = config.destination;
    for (const Log& old : logs_) {
      if (old.config.name == config.name && old.config.destination == config.destination) {
        log.delivery = old.delivery;
      }
    }
    if (auto fields = flowlog::parse_flow_log_format(config.format)) {
      log.fields = std::move(*fields);
    } else {
      log.format_error = "LogFormat: " + fields.error().message;
    }
    set_error(log, log.format_error.empty() ? tried[i] : log.format_error);
    for (uint32_t eni : config.enis) by_eni[eni].push_back(logs.size());
    logs.push_back(std::move(log));
  }
  const auto names = [](const std::vector<Log>& list) {
    std::vector<std::string> out;
    for (const Log& log : list) out.push_back(log.config.name);
    return out;
  };
  if (names(logs) != names(logs_)) status_version_.fetch_add(1, std::memory_order_release);
  logs_ = std::move(logs);
  logs_by_eni_ = std::move(by_eni);
  interfaces_ = std::move(interfaces);
}

Result<void> FlowLogFiles::try_destination(const program::FlowLog& config) const {
  auto location = locate_log_file(options_.root, config.account_id, config.destination);
  if (!location) return location.error();
  return check_log_file(*location);
}

void FlowLogFiles::set_error(Log& log, std::string error) {
  if (log.delivery.error == error) return;
  log.delivery.error = std::move(error);
  status_version_.fetch_add(1, std::memory_order_release);
}

bool FlowLogFiles::keeps(const Log& log, const flowlog::FlowLogRecord& record) {
  if (record.status != flowlog::LogStatus::ok) return true;
  switch (log.config.traffic) {
    case program::FlowLogTraffic::accept:
      return record.action == flowlog::FlowAction::accept;
    case program::FlowLogTraffic::reject:
      return record.action == flowlog::FlowAction::reject;
    case program::FlowLogTraffic::all:
      return true;
  }
  return true;
}

void FlowLogFiles::deliver(std::span<const EniFlowRecord> records) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> text(logs_.size());
  std::vector<uint64_t> lines(logs_.size(), 0);
  for (const EniFlowRecord& r : records) {
    auto covering = logs_by_eni_.find(r.eni);
    if (covering == logs_by_eni_.end()) continue;  // its flow log went away this window
    auto names = interfaces_.find(r.eni);
    flowlog::FlowLogInterface interface =
        names != interfaces_.end() ? names->second : flowlog::FlowLogInterface{};
    for (size_t index : covering->second) {
      const Log& log = logs_[index];
      if (!keeps(log, r.record)) continue;
      ++lines[index];
      if (log.fields.empty()) continue;  // counted as failed below
      interface.account_id = log.config.account_id;
      text[index] += flowlog::format_flow_log(r.record, interface, log.fields);
      text[index] += '\n';
    }
  }
  for (size_t i = 0; i < logs_.size(); ++i) {
    if (lines[i] == 0) continue;
    if (!logs_[i].format_error.empty()) {
      logs_[i].delivery.records_failed += lines[i];
      logs_[i].delivery.last_error = logs_[i].format_error;
      set_error(logs_[i], logs_[i].format_error);
      continue;
    }
    append(logs_[i], text[i], lines[i]);
  }
}

void FlowLogFiles::append(Log& log, const std::string& lines, uint64_t line_count) {
  auto written = write_lines(log, lines);
  if (written) {
    log.delivery.records_written += line_count;
    set_error(log, "");
    return;
  }
  log.delivery.records_failed += line_count;
  log.delivery.last_error = written.error().message;
  set_error(log, written.error().message);
  spdlog::warn("flow log {}: {}", log.config.name, log.delivery.last_error);
}

Result<void> FlowLogFiles::write_lines(Log& log, const std::string& lines) {
  auto location = locate_log_file(options_.root, log.config.account_id, log.config.destination);
  if (!location) return location.error();
  auto file = open_log_file(*location);
  if (!file) return file.error();
  struct stat opened {};
  if (::fstat(file->get(), &opened) != 0) opened.st_size = 0;
  if (options_.rotate_size != 0 && opened.st_size > 0 &&
      uint64_t(opened.st_size) + lines.size() > options_.rotate_size) {
    rotate_log_file(*location, options_.keep_rotated);
    ++log.delivery.rotations;
    file = open_log_file(*location);
    if (!file) return file.error();
    opened.st_size = 0;
  }
  const bool written = (opened.st_size != 0 || write_all(file->get(), header_line(log.fields))) &&
                       write_all(file->get(), lines);
  if (!written) {
    return make_error("flowlog.write",
                      "Write error: " + log.config.destination + ": " + std::strerror(errno));
  }
  return {};
}

std::vector<FlowLogDelivery> FlowLogFiles::deliveries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<FlowLogDelivery> out;
  for (const Log& log : logs_) out.push_back(log.delivery);
  return out;
}

void WorkerFlowLogSink::write(const flowlog::FlowLogRecord& record) {
  const uint32_t eni = pipeline_ != nullptr ? pipeline_->eni_of_slot(record.eni) : 0;
  if (eni != 0) pending_.push_back({eni, record});
}

void WorkerFlowLogSink::end_of_window() {
  if (pending_.empty()) return;
  if (!writer_.submit(pending_)) {
    dropped_ += pending_.size();
    pending_.clear();
  }
}

}  // namespace openvpc::router
