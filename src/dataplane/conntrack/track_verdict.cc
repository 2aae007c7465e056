#include "dataplane/conntrack/track_verdict.h"

#include <array>

namespace openvpc::conntrack {

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::accept:
      return "accept";
    case Verdict::accept_related:
      return "accept_related";
    case Verdict::drop:
      return "drop";
    case Verdict::new_connection:
      return "new_connection";
  }
  return "unknown";
}

}  // namespace openvpc::conntrack
