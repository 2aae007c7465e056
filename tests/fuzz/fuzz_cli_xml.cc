// fuzz_cli_xml — libFuzzer target for the CLI's reader of EC2 responses (cli/xml_reader.h).
//
// The CLI parses whatever an endpoint answers. The invariant: no crash, no sanitizer report,
// no output; a document either parses into a tree whose paths can be walked or is an Error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cli/xml_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto document = openvpc::cli::parse_xml(text);
  if (document) {
    (void)document->text_at("a/b/c");
    for (const auto* item : document->items("vpcSet")) (void)item->text_at("vpcId");
  }
  return 0;
}
