#include "dataplane/trace.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "dataplane/pipeline.h"
#include "dataplane/program_publisher.h"

namespace openvpc::dataplane {
namespace {

std::string protocol_text(uint8_t protocol) {
  switch (protocol) {
    case packet::kProtoTcp:
      return "tcp";
    case packet::kProtoUdp:
      return "udp";
    case packet::kProtoIcmp:
      return "icmp";
    default:
      return "proto " + std::to_string(protocol);
  }
}

std::string describe(const packet::PacketMeta& meta, size_t size) {
  if (meta.is_arp()) return "arp (" + std::to_string(size) + " bytes)";
  if (meta.ip_version == 0) return "non-IP frame (" + std::to_string(size) + " bytes)";
  const auto& t = meta.tuple;
  std::string text = program::format_address(t.src);
  if (t.protocol == packet::kProtoTcp || t.protocol == packet::kProtoUdp) {
    text += ":" + std::to_string(t.src_port);
  }
  text += " -> " + program::format_address(t.dst);
  if (t.protocol == packet::kProtoTcp || t.protocol == packet::kProtoUdp) {
    text += ":" + std::to_string(t.dst_port);
  }
  text += " " + protocol_text(t.protocol);
  if (t.protocol == packet::kProtoIcmp) {
    text += " type " + std::to_string(meta.icmp.type) + " code " + std::to_string(meta.icmp.code);
  }
  return text + " ttl " + std::to_string(meta.ttl) + " (" + std::to_string(size) + " bytes)";
}

}  // namespace

std::string to_string(const Packet& p) {
  switch (p.out_port.kind) {
    case PortKind::eni:
      return "eni " + std::to_string(p.out_port.id);
    case PortKind::underlay:
      return "underlay";
    case PortKind::gateway:
      return "gateway " + std::string(program::to_string(p.gateway_kind)) + " " +
             std::to_string(p.out_port.id);
    case PortKind::none:
      break;
  }
  return "-";
}

std::string describe_packet(Port in_port, std::span<const uint8_t> bytes) {
  const packet::PacketMeta meta =
      in_port.kind == PortKind::underlay ? packet::parse_ip(bytes) : packet::parse_frame(bytes);
  return "packet: " + describe(meta, bytes.size()) + "\n";
}

PipelineConfig scratch_pipeline_config(const CompiledProgram& program) {
  PipelineConfig config;
  config.flow_capacity = 16;
  config.connection_capacity = 16;
  config.eni_capacity = std::max<size_t>(1, program.local_enis.size());
  config.fragment_series = 4;
  config.fragment_hold_slots = 2;
  config.fragment_hold_slots_per_eni = 2;
  config.fragment_output_slots = 48;
  return config;
}

std::string trace(const CompiledProgram& program, Port in_port, std::span<const uint8_t> bytes) {
  // A scratch pipeline over the program, just large enough for one packet and what it
  // releases (fragments cut to the path MTU). The program is borrowed, not owned.
  ProgramPublisher publisher;
  publisher.publish(std::shared_ptr<const CompiledProgram>(std::shared_ptr<void>(), &program));
  Pipeline pipeline(publisher, scratch_pipeline_config(program));
  // A private copy with headroom: the pipeline rewrites it in place.
  const size_t size = std::min<size_t>(bytes.size(), 65535);
  std::vector<uint8_t> buffer(kMinHeadroom + size + 256);
  std::copy_n(bytes.begin(), size, buffer.begin() + kMinHeadroom);
  Packet p;
  p.data = buffer.data() + kMinHeadroom;
  p.size = uint16_t(size);
  p.headroom = kMinHeadroom;
  p.capacity = uint16_t(std::min<size_t>(buffer.size() - kMinHeadroom, 65535));
  p.in_port = in_port;
  std::string out = describe_packet(in_port, bytes.first(size));
  pipeline.process_traced(p, uint64_t{1000} * 1'000'000'000, out);
  return out;
}

}  // namespace openvpc::dataplane
