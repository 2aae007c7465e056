// flow_log_record.h — one VPC flow-log record and the fields formats 2 to 5 can print.
//
// A record aggregates the packets of one 5-tuple, one direction, one action, on one ENI,
// during one aggregation window (REFERENCE.md, flow logs). The per-ENI names (account,
// interface, VPC, subnet, instance, region, zone) are control-plane data held in
// FlowLogInterface; the record holds only what the data plane counted.
// format_flow_log() prints a record in AWS's space-separated text form: the default
// format is version 2; a custom format lists fields and prints as version = the highest
// version among them. Unknown values print "-". parse_flow_log_format() reads AWS's LogFormat
// text ("${version} ${srcaddr} ..."; empty: the default) into fields.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

#include "packet/parser.h"

namespace openvpc::flowlog {

enum class FlowAction : uint8_t { accept, reject };
enum class LogStatus : uint8_t { ok, nodata, skipdata };
enum class FlowDirection : uint8_t { ingress, egress };

struct FlowLogRecord {
  uint16_t eni = 0;
  packet::FiveTuple tuple;  // as the packets travelled
  uint64_t packets = 0;
  uint64_t bytes = 0;  // IP bytes (header included)
  uint32_t start = 0;  // Unix seconds: first packet in the window
  uint32_t end = 0;    // Unix seconds: last packet in the window
  FlowAction action = FlowAction::accept;
  LogStatus status = LogStatus::ok;
  FlowDirection direction = FlowDirection::ingress;
  uint8_t tcp_flags = 0;     // AWS's tcp-flags: FIN 1, SYN 2, RST 4, SYN-ACK 18, ORed
  uint8_t traffic_path = 0;  // version 5 traffic-path 1-8; 0: unknown ("-")
};

struct FlowLogInterface {
  std::string account_id;
  std::string interface_id;
  std::string vpc_id;
  std::string subnet_id;
  std::string instance_id;
  std::string region;
  std::string az_id;
};

enum class FlowLogField : uint8_t {
  // version 2
  version,
  account_id,
  interface_id,
  srcaddr,
  dstaddr,
  srcport,
  dstport,
  protocol,
  packets,
  bytes,
  start,
  end,
  action,
  log_status,
  // version 3
  vpc_id,
  subnet_id,
  instance_id,
  tcp_flags,
  type,
  pkt_srcaddr,
  pkt_dstaddr,
  // version 4
  region,
  az_id,
  sublocation_type,
  sublocation_id,
  // version 5
  pkt_src_aws_service,
  pkt_dst_aws_service,
  flow_direction,
  traffic_path,
  count_,
};

inline constexpr FlowLogField kDefaultFormat[] = {
    FlowLogField::version, FlowLogField::account_id, FlowLogField::interface_id,
    FlowLogField::srcaddr, FlowLogField::dstaddr,    FlowLogField::srcport,
    FlowLogField::dstport, FlowLogField::protocol,   FlowLogField::packets,
    FlowLogField::bytes,   FlowLogField::start,      FlowLogField::end,
    FlowLogField::action,  FlowLogField::log_status,
};

int field_version(FlowLogField field);
// AWS's name of a field as written in a custom format ("${srcaddr}" without the braces).
const char* field_name(FlowLogField field);
// Fails with "flowlog.format" naming the first token that is not ${known-field}.
Result<std::vector<FlowLogField>> parse_flow_log_format(std::string_view format);
std::string format_flow_log(const FlowLogRecord& record, const FlowLogInterface& interface,
                            std::span<const FlowLogField> fields = kDefaultFormat);

}  // namespace openvpc::flowlog
