// flow_log_destination.h — what a flow log's file destination may say.
//
// A tenant names a flow log's file relative to its account's flow-log directory on every host
// (ROOT/ACCOUNT/, ROOT being each router's --flow-log-root), the way an S3 key names an object
// in a bucket: "flows.log", "web/eni-0a.log". The rule is the same on both sides of the program:
// the model refuses a CreateFlowLogs that breaks it (with EC2's InvalidParameter), and a router
// refuses to deliver to a destination that breaks it whatever the program says. It is a rule on
// text only; that no component is a symlink is checked where the file is opened
// (router/flow_log_directory.h).
//
// Valid: 1 to kMaxDestinationSize bytes; components separated by single '/'; no component
// empty, ".", ".." or longer than kMaxComponentSize; no leading '/' (absolute), no trailing '/';
// no NUL or other control character.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace openvpc::program {

inline constexpr size_t kMaxDestinationSize = 512;
inline constexpr size_t kMaxComponentSize = 255;  // NAME_MAX

// Why `destination` is not a valid relative destination; nullopt when it is.
std::optional<std::string> destination_error(std::string_view destination);

// The components of a valid destination ("a/b.log" -> {"a", "b.log"}); empty when invalid.
std::vector<std::string_view> destination_components(std::string_view destination);

// Whether an account id may name a directory: 1 to 64 ASCII letters and digits.
bool valid_account_directory(std::string_view account_id);

}  // namespace openvpc::program
