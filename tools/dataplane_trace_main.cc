// openvpc-dataplane-trace — prints, stage by stage, what the data plane does with packets.
//
//   openvpc-dataplane-trace --program PROGRAM.json (--eni ID | --underlay) [HEX ...]
//   openvpc-dataplane-trace --program PROGRAM.json --dump
//
// PROGRAM.json is a program::Program as JSON (program/program_json.h). Each HEX argument is
// one packet: an Ethernet frame for --eni, an outer IPv4 packet for --underlay; spaces and
// colons are ignored. Without HEX arguments, packets are read from stdin, one per line. --dump
// prints the normalised program (to_text). Exit status: 0, or 2 for bad usage or input.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "dataplane/compiled_program.h"
#include "dataplane/trace.h"
#include "program/program_json.h"

namespace {

using namespace openvpc;

int usage() {
  std::cerr << "usage: openvpc-dataplane-trace --program FILE.json (--eni ID | --underlay) "
               "[HEX ...]\n       openvpc-dataplane-trace --program FILE.json --dump\n";
  return 2;
}

std::optional<std::vector<uint8_t>> from_hex(const std::string& text) {
  std::vector<uint8_t> bytes;
  int high = -1;
  for (char ch : text) {
    int digit;
    if (ch >= '0' && ch <= '9')
      digit = ch - '0';
    else if (ch >= 'a' && ch <= 'f')
      digit = ch - 'a' + 10;
    else if (ch >= 'A' && ch <= 'F')
      digit = ch - 'A' + 10;
    else if (ch == ' ' || ch == ':' || ch == '\t' || ch == '\r')
      continue;
    else
      return std::nullopt;
    if (high < 0) {
      high = digit;
    } else {
      bytes.push_back(uint8_t(high * 16 + digit));
      high = -1;
    }
  }
  if (high >= 0 || bytes.empty()) return std::nullopt;
  return bytes;
}

struct Options {
  std::string program_path;
  std::optional<dataplane::Port> port;
  bool dump = false;
  std::vector<std::string> packets;
};

std::optional<Options> parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--program" && i + 1 < argc) {
      o.program_path = argv[++i];
    } else if (arg == "--eni" && i + 1 < argc) {
      o.port = dataplane::Port::eni(uint32_t(std::stoul(argv[++i])));
    } else if (arg == "--underlay") {
      o.port = dataplane::Port::underlay();
    } else if (arg == "--dump") {
      o.dump = true;
    } else if (!arg.empty() && arg[0] != '-') {
      o.packets.push_back(arg);
    } else {
      return std::nullopt;
    }
  }
  if (o.program_path.empty() || (!o.dump && !o.port)) return std::nullopt;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<Options> options;
  try {
    options = parse_options(argc, argv);
  } catch (const std::exception&) {
    return usage();
  }
  if (!options) return usage();
  std::ifstream file(options->program_path);
  if (!file) {
    std::cerr << "cannot read " << options->program_path << "\n";
    return 2;
  }
  std::stringstream text;
  text << file.rdbuf();
  auto program = program::program_from_json(text.str());
  if (!program) {
    std::cerr << program.error().code << ": " << program.error().message << "\n";
    return 2;
  }
  if (options->dump) {
    std::cout << program::to_text(*program);
    return 0;
  }
  auto compiled = dataplane::compile(*program);
  if (!compiled) {
    std::cerr << compiled.error().code << ": " << compiled.error().message << "\n";
    return 2;
  }
  if (options->packets.empty()) {
    for (std::string line; std::getline(std::cin, line);) {
      if (!line.empty()) options->packets.push_back(line);
    }
  }
  for (const auto& hex : options->packets) {
    const auto bytes = from_hex(hex);
    if (!bytes) {
      std::cerr << "not a hex packet: " << hex << "\n";
      return 2;
    }
    std::cout << dataplane::trace(**compiled, *options->port, *bytes) << "\n";
  }
  return 0;
}
