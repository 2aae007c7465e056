// trace_note.h — how pipeline stages write their line of a packet's trace (trace.h).
//
// A stage calls note(trace, "stage", [&] { return text; }) at each decision. trace is null on
// the normal path: the cost is one predictable branch, and the text is built out of line in a
// cold function, so tracing never makes a hot function too big to inline.
#pragma once

#include <string>

namespace openvpc::dataplane {

template <typename MakeText>
[[gnu::noinline, gnu::cold]] void append_note(std::string& trace, const char* stage,
                                              MakeText& make_text) {
  trace.append(stage).append(": ").append(make_text()).append("\n");
}

// Appends "stage: text" when tracing.
template <typename MakeText>
void note(std::string* trace, const char* stage, MakeText&& make_text) {
  if (trace != nullptr) [[unlikely]] {
    append_note(*trace, stage, make_text);
  }
}

}  // namespace openvpc::dataplane
