#include "api/request_throttle.h"

#include <algorithm>
#include <charconv>

namespace openvpc::api {

namespace {

bool starts_with_any(std::string_view action, std::initializer_list<std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](std::string_view p) { return action.starts_with(p); });
}

bool parse_number(std::string_view text, double& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size() && out >= 0;
}

}  // namespace

std::string_view to_string(ActionClass action_class) {
  switch (action_class) {
    case ActionClass::non_mutating:
      return "non_mutating";
    case ActionClass::mutating:
      return "mutating";
    case ActionClass::count_:
      break;
  }
  return "?";
}

ActionClass action_class(std::string_view action) {
  return starts_with_any(action, {"Describe", "Get", "List", "Search"}) ? ActionClass::non_mutating
                                                                        : ActionClass::mutating;
}

Result<ThrottleOptions> parse_throttle(std::string_view text) {
  ThrottleOptions options;
  if (text == "off") return options;
  options.enabled = true;
  if (text == "ec2" || text.empty()) return options;
  for (bool more = true; more;) {
    const size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    more = comma != std::string_view::npos;
    if (more) text = text.substr(comma + 1);
    const size_t equals = item.find('=');
    const size_t slash = item.find('/');
    BucketSize size;
    if (equals == std::string_view::npos || slash == std::string_view::npos || slash < equals ||
        !parse_number(item.substr(equals + 1, slash - equals - 1), size.capacity) ||
        !parse_number(item.substr(slash + 1), size.refill_per_second) || size.capacity < 1) {
      return make_error("options.invalid", "--api-throttle: '" + std::string(item) +
                                               "' is not CLASS=CAPACITY/REFILL_PER_SECOND");
    }
    const std::string_view name = item.substr(0, equals);
    if (name == to_string(ActionClass::non_mutating)) {
      options.non_mutating = size;
    } else if (name == to_string(ActionClass::mutating)) {
      options.mutating = size;
    } else {
      return make_error("options.invalid", "--api-throttle: unknown class '" + std::string(name) +
                                               "' (non_mutating, mutating)");
    }
  }
  return options;
}

bool RequestThrottle::admit(const std::string& account_id, std::string_view action) {
  if (!options_.enabled) return true;
  const BucketSize& size =
      action_class(action) == ActionClass::non_mutating ? options_.non_mutating : options_.mutating;
  std::string key = account_id;
  key += '/';
  key += action;
  const auto now = clock_();
  std::lock_guard lock(mutex_);
  auto [it, added] = buckets_.try_emplace(std::move(key), Bucket{size.capacity, now});
  Bucket& bucket = it->second;
  if (!added) {
    const double elapsed = std::chrono::duration<double>(now - bucket.refilled).count();
    bucket.tokens = std::min(size.capacity, bucket.tokens + elapsed * size.refill_per_second);
    bucket.refilled = now;
  }
  if (bucket.tokens < 1) {
    ++throttled_;
    return false;
  }
  bucket.tokens -= 1;
  return true;
}

uint64_t RequestThrottle::throttled() const {
  std::lock_guard lock(mutex_);
  return throttled_;
}

}  // namespace openvpc::api
