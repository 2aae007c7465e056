// demo_packets.h — the packets `openvpc-packet demo-pcap` writes, with what each was built
// from (so tests can check a dissector's view against the spec), and a minimal pcap writer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace openvpc::tools {

struct DemoPacket {
  std::string description;     // one line for people
  std::vector<uint8_t> frame;  // Ethernet frame
  nlohmann::json built;        // the values it was built with (VNI, ENIs, inner tuple...)
};

std::vector<DemoPacket> demo_packets();

// More packets for fuzz seeds: the demo frames plus IP packets, DHCP and DNS messages.
std::vector<std::pair<std::string, std::vector<uint8_t>>> sample_packets();

// Writes frames as a pcap file (LINKTYPE_ETHERNET, microsecond timestamps 1 ms apart).
bool write_pcap(const std::string& path, const std::vector<std::vector<uint8_t>>& frames);

}  // namespace openvpc::tools
