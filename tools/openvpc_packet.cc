// openvpc_packet.cc — `openvpc-packet`: parse packets given in hex into JSON, and write a demo
// pcap of packets built by src/packet. Used by tests/e2e (against scapy and tshark) and by
// scripts/demo.
//
//   openvpc-packet parse [--ip] HEX...        one JSON object per packet (PacketMeta)
//   openvpc-packet demo-pcap OUT.pcap [--json] the demo packets; --json: what each was built from
//   openvpc-packet write-samples DIR          raw sample packets (fuzz seeds)
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "demo_packets.h"
#include "packet/parser.h"
#include "packet_json.h"

namespace {

using namespace openvpc;

// Hex digits, ignoring whitespace, ':' and '-'; nullopt on anything else or an odd count.
std::optional<std::vector<uint8_t>> decode_hex(const std::string& text) {
  std::vector<uint8_t> bytes;
  int pending = -1;
  for (const char c : text) {
    int nibble;
    if (c >= '0' && c <= '9') {
      nibble = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      nibble = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      nibble = c - 'A' + 10;
    } else if (c == ' ' || c == ':' || c == '-' || c == '\n' || c == '\t') {
      continue;
    } else {
      return std::nullopt;
    }
    if (pending < 0) {
      pending = nibble;
    } else {
      bytes.push_back(uint8_t(pending << 4 | nibble));
      pending = -1;
    }
  }
  if (pending >= 0) return std::nullopt;
  return bytes;
}

int run_parse(const std::vector<std::string>& packets, bool ip_only) {
  for (const std::string& text : packets) {
    const auto bytes = decode_hex(text);
    if (!bytes) {
      std::cerr << "openvpc-packet: not hex: " << text.substr(0, 40) << "\n";
      return 2;
    }
    const packet::PacketMeta meta =
        ip_only ? packet::parse_ip(*bytes) : packet::parse_frame(*bytes);
    std::cout << tools::meta_to_json(meta).dump() << "\n";
  }
  return 0;
}

int run_demo_pcap(const std::string& path, bool as_json) {
  const std::vector<tools::DemoPacket> packets = tools::demo_packets();
  std::vector<std::vector<uint8_t>> frames;
  nlohmann::json built = nlohmann::json::array();
  for (const auto& packet : packets) {
    frames.push_back(packet.frame);
    built.push_back(packet.built);
  }
  if (!tools::write_pcap(path, frames)) {
    std::cerr << "openvpc-packet: cannot write " << path << "\n";
    return 1;
  }
  if (as_json) {
    std::cout << built.dump(2) << "\n";
    return 0;
  }
  std::cout << "wrote " << packets.size() << " packets to " << path << ":\n";
  for (size_t i = 0; i < packets.size(); ++i) {
    std::cout << "  " << i + 1 << ". " << packets[i].description << " (" << packets[i].frame.size()
              << " bytes)\n";
  }
  return 0;
}

int run_write_samples(const std::string& directory) {
  std::filesystem::create_directories(directory);
  for (const auto& [name, bytes] : tools::sample_packets()) {
    std::ofstream out(std::filesystem::path(directory) / name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    if (!out) return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"openvpc-packet: parse and build packets with openvpc's packet library"};
  app.require_subcommand(1);

  std::vector<std::string> hex_packets;
  bool ip_only = false;
  CLI::App* parse = app.add_subcommand("parse", "parse hex packets, print PacketMeta as JSON");
  parse->add_flag("--ip", ip_only, "packets start at the IP header (default: Ethernet)");
  parse->add_option("hex", hex_packets, "packets in hex")->required();

  std::string pcap_path;
  bool as_json = false;
  CLI::App* demo = app.add_subcommand("demo-pcap", "write a pcap of demo packets");
  demo->add_option("out", pcap_path, "pcap file to write")->required();
  demo->add_flag("--json", as_json, "print what each packet was built from as JSON");

  std::string samples_dir;
  CLI::App* samples = app.add_subcommand("write-samples", "write raw sample packets (fuzz seeds)");
  samples->add_option("dir", samples_dir, "directory")->required();

  CLI11_PARSE(app, argc, argv);
  if (parse->parsed()) return run_parse(hex_packets, ip_only);
  if (demo->parsed()) return run_demo_pcap(pcap_path, as_json);
  return run_write_samples(samples_dir);
}
