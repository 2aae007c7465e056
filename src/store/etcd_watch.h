// etcd_watch.h — a store Watch over etcd's streaming /v3/watch gateway endpoint.
//
// A background thread holds one streaming POST /v3/watch (newline-separated JSON messages,
// chunked) and feeds the events into a queue that next() drains. When the stream breaks the
// thread resumes it transparently, on the same member first and then on the others, from the
// last delivered revision (skipping the events of that revision it already delivered), so
// callers see every event once, in order. The watch fails (next() returns the error after the
// queued events) when etcd reports a compaction (store.compacted) or when no member accepts
// the stream (store.unavailable). The destructor stops and joins the thread (bounded).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "store/etcd_client.h"
#include "store/store.h"

namespace openvpc::store::etcd {

// Starts a watch of keys under prefix from from_revision (> 0) and waits (bounded) until
// etcd confirmed it, or failed it.
Result<std::unique_ptr<Watch>> start_watch(std::vector<Endpoint> endpoints, size_t preferred,
                                           std::string prefix, int64_t from_revision);

}  // namespace openvpc::store::etcd
