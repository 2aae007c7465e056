#include "dataplane/trace.h"

#include <vector>

#include "dataplane/actions.h"
#include "dataplane/classifier.h"
#include "dataplane/pipeline.h"

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

std::string trace_with_connections(const CompiledProgram& program,
                                   const ConnectionView& connections, Port in_port,
                                   std::span<const uint8_t> bytes) {
  // A private copy with headroom, so the action can be applied without touching the input.
  std::vector<uint8_t> buffer(kMinHeadroom + bytes.size() + 256);
  std::copy(bytes.begin(), bytes.end(), buffer.begin() + kMinHeadroom);
  Packet p;
  p.data = buffer.data() + kMinHeadroom;
  p.size = uint16_t(bytes.size());
  p.headroom = kMinHeadroom;
  p.capacity = uint16_t(buffer.size() - kMinHeadroom);
  p.in_port = in_port;
  const std::span<const uint8_t> view(p.data, p.size);
  const packet::PacketMeta meta =
      in_port.kind == PortKind::underlay ? packet::parse_ip(view) : packet::parse_frame(view);
  std::string out = "packet: " + describe(meta, bytes.size()) + "\n";
  const Admission admission = admit(program, in_port, meta, view, &out);
  const LocalEni* source =
      admission.eni_index >= 0 ? &program.local_enis[size_t(admission.eni_index)] : nullptr;
  FlowAction action;
  if (admission.drop != DropReason::none) {
    action.drop_reason = admission.drop;
  } else if (admission.local_services) {
    action.verdict = Verdict::to_local_services;
  } else if (admission.later_fragment) {
    action.drop_reason = DropReason::fragment_orphan;
  } else {
    Classifier classifier(program, connections, &out);
    action =
        (source != nullptr ? classifier.outbound(*source, meta) : classifier.inbound(meta)).action;
  }
  apply_action(action, meta, program, source, p);
  out += "verdict: " + std::string(to_string(p.verdict));
  if (p.drop_reason != DropReason::none) out += " (" + std::string(to_string(p.drop_reason)) + ")";
  if (p.out_port.kind != PortKind::none) out += " out " + to_string(p);
  return out + "\n";
}

std::string trace(const CompiledProgram& program, Port in_port, std::span<const uint8_t> bytes) {
  return trace_with_connections(program, ConnectionView{}, in_port, bytes);
}

}  // namespace openvpc::dataplane
