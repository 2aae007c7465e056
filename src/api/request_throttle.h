// request_throttle.h — EC2's API request throttling: a token bucket per account and action.
//
// Amazon EC2 throttles each account's API requests per Region with token buckets (the EC2
// developer guide, "Request throttling for the Amazon EC2 API"): every request takes one token
// from its action's bucket, a bucket refills at a fixed rate up to its capacity, and a request
// that finds it empty fails with RequestLimitExceeded (HTTP 503, which the AWS SDKs and CLI
// retry with backoff). Each action has its own bucket, sized by its class:
//   non-mutating (Describe*, Get*, List*, Search*): 100 tokens, refilled 20 per second;
//   mutating (everything else):                     50 tokens, refilled 5 per second.
// So one tenant hammering DescribeVpcs is throttled on DescribeVpcs alone, and other accounts
// never share its buckets. The classes are configurable (the controller's --api-throttle).
//
// Thread-safe (the API server calls from many threads): one mutex around a map lookup and a
// few arithmetic operations per request, far below the cost of the request itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "common/result.h"

namespace openvpc::api {

enum class ActionClass : uint8_t { non_mutating, mutating, count_ };
std::string_view to_string(ActionClass action_class);
ActionClass action_class(std::string_view action);

struct BucketSize {
  double capacity = 0;
  double refill_per_second = 0;
};

struct ThrottleOptions {
  bool enabled = false;
  BucketSize non_mutating{100, 20};
  BucketSize mutating{50, 5};
};

// "off", "ec2" (the defaults above, on), or a comma-separated list of CLASS=CAPACITY/REFILL,
// e.g. "non_mutating=10/2,mutating=5/1" (on, the classes not named keep their default).
Result<ThrottleOptions> parse_throttle(std::string_view text);

class RequestThrottle {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  explicit RequestThrottle(ThrottleOptions options, Clock clock = std::chrono::steady_clock::now)
      : options_(options), clock_(std::move(clock)) {}

  // Takes a token for (account, action); false when its bucket is empty (throttled).
  bool admit(const std::string& account_id, std::string_view action);
  uint64_t throttled() const;

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point refilled;
  };
  const ThrottleOptions options_;
  const Clock clock_;
  mutable std::mutex mutex_;
  std::map<std::string, Bucket, std::less<>> buckets_;  // "account/Action"
  uint64_t throttled_ = 0;
};

}  // namespace openvpc::api
