#include "router/trace_request.h"

#include <nlohmann/json.hpp>

#include "dataplane/trace.h"
#include "packet/builder.h"
#include "program/cidr.h"

namespace openvpc::router {

namespace {

using nlohmann::json;
using packet::IpAddress;

Error invalid(const std::string& message) {
  return {"trace.invalid", message};
}

// A JSON number (or a decimal string) within [0, max].
Result<uint32_t> number_field(const json& body, const char* key, uint32_t max) {
  const json& value = body.at(key);
  int64_t number = -1;
  if (value.is_number_integer()) {
    number = value.get<int64_t>();
  } else if (value.is_string()) {
    const std::string text = value.get<std::string>();
    if (!text.empty() && text.size() < 10 &&
        text.find_first_not_of("0123456789") == std::string::npos) {
      number = std::stoll(text);
    }
  }
  if (number < 0 || number > int64_t(max)) {
    return invalid(std::string(key) + " must be a number from 0 to " + std::to_string(max));
  }
  return uint32_t(number);
}

Result<uint8_t> tcp_flags(const std::string& letters) {
  uint8_t flags = 0;
  for (char letter : letters) {
    switch (letter) {
      case 'S':
        flags |= packet::kTcpSyn;
        break;
      case 'A':
        flags |= packet::kTcpAck;
        break;
      case 'F':
        flags |= packet::kTcpFin;
        break;
      case 'R':
        flags |= packet::kTcpRst;
        break;
      case 'P':
        flags |= packet::kTcpPsh;
        break;
      case 'U':
        flags |= packet::kTcpUrg;
        break;
      default:
        return invalid("tcp_flags are letters of SAFRPU, got '" + letters + "'");
    }
  }
  return flags;
}

Result<IpAddress> address(const std::string& text, const char* what) {
  const auto parsed = program::parse_address(text);
  if (!parsed || !parsed->is_v4()) return invalid(std::string(what) + " must be an IPv4 address");
  return *parsed;
}

Result<std::vector<uint8_t>> build_ip_packet(const TraceRequest& request, IpAddress source,
                                             IpAddress destination) {
  packet::IpSpec ip;
  ip.src = source;
  ip.dst = destination;
  if (request.protocol == "tcp") {
    auto flags = tcp_flags(request.tcp_flags);
    if (!flags) return flags.error();
    packet::TcpSpec tcp;
    tcp.src_port = request.source_port;
    tcp.dst_port = request.destination_port;
    tcp.seq = 1000;
    tcp.ack = (*flags & packet::kTcpAck) != 0 ? 1 : 0;
    tcp.flags = *flags;
    return packet::build_tcp(ip, tcp);
  }
  if (request.protocol == "udp") {
    return packet::build_udp(ip, {request.source_port, request.destination_port});
  }
  if (request.protocol == "icmp") {
    if (request.icmp_type != 8 && request.icmp_type != 0) {
      return invalid("icmp: only echo request (type 8) and echo reply (type 0) can be traced");
    }
    packet::IcmpEchoSpec echo;
    echo.request = request.icmp_type == 8;
    echo.id = 1;
    echo.sequence = 1;
    return packet::build_icmp_echo(ip, echo);
  }
  return invalid("proto must be tcp, udp or icmp, got '" + request.protocol + "'");
}

const dataplane::LocalEni* find_eni(const dataplane::CompiledProgram& program,
                                    const std::string& eni) {
  for (const auto& local : program.local_enis) {
    if (local.name == eni || std::to_string(local.id) == eni) return &local;
  }
  return nullptr;
}

}  // namespace

Result<TraceRequest> parse_trace_request(const std::string& json_body) {
  const json body = json::parse(json_body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return invalid("the body must be a JSON object");
  TraceRequest request;
  for (const auto& [key, value] : body.items()) {
    if (key == "eni" || key == "direction" || key == "proto" || key == "src" || key == "dst" ||
        key == "tcp_flags") {
      if (!value.is_string() && !(key == "eni" && value.is_number_unsigned())) {
        return invalid(key + " must be a string");
      }
      const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
      if (key == "eni") request.eni = text;
      if (key == "proto") request.protocol = text;
      if (key == "src") request.source = text;
      if (key == "dst") request.destination = text;
      if (key == "tcp_flags") request.tcp_flags = text;
      if (key == "direction") {
        if (text != "egress" && text != "ingress") {
          return invalid("direction must be egress or ingress, got '" + text + "'");
        }
        request.direction =
            text == "egress" ? TraceRequest::Direction::egress : TraceRequest::Direction::ingress;
      }
    } else if (key == "sport" || key == "dport" || key == "icmp_type" || key == "icmp_code") {
      auto number = number_field(body, key.c_str(), key[0] == 'i' ? 255 : 65535);
      if (!number) return number.error();
      if (key == "sport") request.source_port = uint16_t(*number);
      if (key == "dport") request.destination_port = uint16_t(*number);
      if (key == "icmp_type") request.icmp_type = uint8_t(*number);
      if (key == "icmp_code") request.icmp_code = uint8_t(*number);
    } else {
      return invalid("unknown field '" + key + "'");
    }
  }
  if (request.eni.empty()) return invalid("eni is required");
  return request;
}

Result<std::string> trace_packet(const dataplane::CompiledProgram& program,
                                 const TraceRequest& request) {
  const dataplane::LocalEni* eni = find_eni(program, request.eni);
  if (eni == nullptr) {
    return Error{"trace.unknown_eni", "ENI " + request.eni + " is not on this host"};
  }
  if (eni->addresses.empty()) return invalid("ENI " + request.eni + " has no address");
  const bool egress = request.direction == TraceRequest::Direction::egress;
  const std::string& other = egress ? request.destination : request.source;
  const std::string& own = egress ? request.source : request.destination;
  if (other.empty()) return invalid(egress ? "dst is required" : "src is required");
  auto remote = address(other, egress ? "dst" : "src");
  if (!remote) return remote.error();
  IpAddress local = eni->addresses.front();
  if (!own.empty()) {
    auto given = address(own, egress ? "src" : "dst");
    if (!given) return given.error();
    local = *given;
  }
  auto inner =
      egress ? build_ip_packet(request, local, *remote) : build_ip_packet(request, *remote, local);
  if (!inner) return inner.error();
  if (egress) {
    const auto frame = packet::with_ethernet({eni->mac, program.router_mac, {}}, *inner);
    return dataplane::trace(program, dataplane::Port::eni(eni->id), frame);
  }
  // As the source's router would send it; an unmapped source gets ENI 0 from this host's
  // underlay, and the trace shows where the isolation rule stops it.
  packet::GeneveEncap encap;
  encap.outer_dst_v4 = program.host_underlay_v4;
  encap.outer_src_v4 = program.host_underlay_v4;
  encap.vni = eni->vpc;
  encap.destination_eni = eni->id;
  encap.src_port = 49152;
  if (const auto* mapping = program.find_mapping(eni->vpc, *remote)) {
    encap.source_eni = mapping->eni;
    if (mapping->underlay.is_v4()) encap.outer_src_v4 = mapping->underlay.v4_host_order();
  }
  const auto datagram = packet::build_geneve(encap, *inner);
  return dataplane::trace(program, dataplane::Port::underlay(), datagram);
}

}  // namespace openvpc::router
