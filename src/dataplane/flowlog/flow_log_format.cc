#include <algorithm>
#include <array>
#include <string_view>

#include "dataplane/flowlog/flow_log_record.h"

namespace openvpc::flowlog {
namespace {

struct FieldInfo {
  const char* name;
  int version;
};

constexpr std::array<FieldInfo, size_t(FlowLogField::count_)> kFields = {{
    {"version", 2},
    {"account-id", 2},
    {"interface-id", 2},
    {"srcaddr", 2},
    {"dstaddr", 2},
    {"srcport", 2},
    {"dstport", 2},
    {"protocol", 2},
    {"packets", 2},
    {"bytes", 2},
    {"start", 2},
    {"end", 2},
    {"action", 2},
    {"log-status", 2},
    {"vpc-id", 3},
    {"subnet-id", 3},
    {"instance-id", 3},
    {"tcp-flags", 3},
    {"type", 3},
    {"pkt-srcaddr", 3},
    {"pkt-dstaddr", 3},
    {"region", 4},
    {"az-id", 4},
    {"sublocation-type", 4},
    {"sublocation-id", 4},
    {"pkt-src-aws-service", 5},
    {"pkt-dst-aws-service", 5},
    {"flow-direction", 5},
    {"traffic-path", 5},
}};

std::string or_dash(const std::string& s) {
  return s.empty() ? "-" : s;
}

const char* status_name(LogStatus s) {
  switch (s) {
    case LogStatus::ok:
      return "OK";
    case LogStatus::nodata:
      return "NODATA";
    case LogStatus::skipdata:
      return "SKIPDATA";
  }
  return "-";
}

// Fields that only make sense with traffic in the window.
bool has_traffic(const FlowLogRecord& r) {
  return r.status == LogStatus::ok;
}

std::string traffic_field(const FlowLogRecord& r, FlowLogField f) {
  switch (f) {
    case FlowLogField::srcaddr:
    case FlowLogField::pkt_srcaddr:
      return r.tuple.src.to_string();
    case FlowLogField::dstaddr:
    case FlowLogField::pkt_dstaddr:
      return r.tuple.dst.to_string();
    case FlowLogField::srcport:
      return std::to_string(r.tuple.src_port);
    case FlowLogField::dstport:
      return std::to_string(r.tuple.dst_port);
    case FlowLogField::protocol:
      return std::to_string(r.tuple.protocol);
    case FlowLogField::packets:
      return std::to_string(r.packets);
    case FlowLogField::bytes:
      return std::to_string(r.bytes);
    case FlowLogField::action:
      return r.action == FlowAction::accept ? "ACCEPT" : "REJECT";
    case FlowLogField::tcp_flags:
      return std::to_string(r.tcp_flags);
    case FlowLogField::type:
      return r.tuple.ip_version == 6 ? "IPv6" : "IPv4";
    case FlowLogField::flow_direction:
      return r.direction == FlowDirection::ingress ? "ingress" : "egress";
    case FlowLogField::traffic_path:
      return r.traffic_path == 0 ? "-" : std::to_string(r.traffic_path);
    default:
      return "-";
  }
}

std::string field_text(const FlowLogRecord& r, const FlowLogInterface& i, FlowLogField f,
                       int version) {
  switch (f) {
    case FlowLogField::version:
      return std::to_string(version);
    case FlowLogField::account_id:
      return or_dash(i.account_id);
    case FlowLogField::interface_id:
      return or_dash(i.interface_id);
    case FlowLogField::vpc_id:
      return or_dash(i.vpc_id);
    case FlowLogField::subnet_id:
      return or_dash(i.subnet_id);
    case FlowLogField::instance_id:
      return or_dash(i.instance_id);
    case FlowLogField::region:
      return or_dash(i.region);
    case FlowLogField::az_id:
      return or_dash(i.az_id);
    case FlowLogField::start:
      return std::to_string(r.start);
    case FlowLogField::end:
      return std::to_string(r.end);
    case FlowLogField::log_status:
      return status_name(r.status);
    default:
      return has_traffic(r) ? traffic_field(r, f) : "-";
  }
}

}  // namespace

int field_version(FlowLogField field) {
  const size_t i = size_t(field);
  return i < kFields.size() ? kFields[i].version : 0;
}

const char* field_name(FlowLogField field) {
  const size_t i = size_t(field);
  return i < kFields.size() ? kFields[i].name : "?";
}

Result<std::vector<FlowLogField>> parse_flow_log_format(std::string_view format) {
  std::vector<FlowLogField> fields;
  size_t at = 0;
  while (true) {
    at = format.find_first_not_of(' ', at);
    if (at == std::string_view::npos) break;
    size_t end = format.find(' ', at);
    if (end == std::string_view::npos) end = format.size();
    const std::string_view token = format.substr(at, end - at);
    at = end;
    const bool braced = token.size() > 3 && token.starts_with("${") && token.ends_with('}');
    const std::string_view name = braced ? token.substr(2, token.size() - 3) : std::string_view{};
    const auto known = std::find_if(kFields.begin(), kFields.end(),
                                    [&](const FieldInfo& f) { return name == f.name; });
    if (known == kFields.end()) {
      return make_error("flowlog.format", "unknown field '" + std::string(token) + "'");
    }
    fields.push_back(FlowLogField(known - kFields.begin()));
  }
  if (fields.empty())
    return std::vector<FlowLogField>(std::begin(kDefaultFormat), std::end(kDefaultFormat));
  return fields;
}

std::string format_flow_log(const FlowLogRecord& record, const FlowLogInterface& interface,
                            std::span<const FlowLogField> fields) {
  int version = 2;
  for (FlowLogField f : fields) version = std::max(version, field_version(f));
  std::string line;
  for (FlowLogField f : fields) {
    if (!line.empty()) line += ' ';
    line += field_text(record, interface, f, version);
  }
  return line;
}

}  // namespace openvpc::flowlog
