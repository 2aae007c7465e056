#include "program/flow_log_destination.h"

namespace openvpc::program {

namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> components;
  size_t start = 0;
  for (;;) {
    const size_t slash = path.find('/', start);
    components.push_back(path.substr(start, slash - start));
    if (slash == std::string_view::npos) return components;
    start = slash + 1;
  }
}

}  // namespace

std::optional<std::string> destination_error(std::string_view destination) {
  if (destination.empty()) return "is empty";
  if (destination.size() > kMaxDestinationSize) {
    return "is longer than " + std::to_string(kMaxDestinationSize) + " bytes";
  }
  if (destination.front() == '/') return "is absolute";
  for (const char c : destination) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "holds a control character";
  }
  for (const std::string_view component : split(destination)) {
    if (component.empty()) return "has an empty path component";
    if (component == "." || component == "..") return "has a '.' or '..' path component";
    if (component.size() > kMaxComponentSize) {
      return "has a path component longer than " + std::to_string(kMaxComponentSize) + " bytes";
    }
  }
  return std::nullopt;
}

std::vector<std::string_view> destination_components(std::string_view destination) {
  if (destination_error(destination)) return {};
  return split(destination);
}

bool valid_account_directory(std::string_view account_id) {
  if (account_id.empty() || account_id.size() > 64) return false;
  for (const char c : account_id) {
    const bool alphanumeric =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alphanumeric) return false;
  }
  return true;
}

}  // namespace openvpc::program
