#include "store/etcd_watch.h"

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "store/etcd_json.h"

namespace openvpc::store::etcd {
namespace {

using namespace std::chrono_literals;

// An idle stream is re-established after this long; it also bounds how long a member that
// vanished without closing its connections goes unnoticed.
constexpr auto kStreamReadTimeout = 10s;
constexpr auto kStartTimeout = 5s;
constexpr auto kRetryPause = 50ms;

class EtcdWatch final : public Watch {
 public:
  EtcdWatch(std::vector<Endpoint> endpoints, size_t preferred, std::string prefix,
            int64_t from_revision)
      : endpoints_(std::move(endpoints)),
        index_(preferred % endpoints_.size()),
        request_body_prefix_(std::move(prefix)),
        next_revision_(from_revision) {}

  ~EtcdWatch() override { stop(); }

  // Runs the thread and waits until the first stream is confirmed or the watch failed.
  Result<void> start() {
    thread_ = std::thread([this] { run(); });
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, kStartTimeout, [&] { return established_ || failure_.has_value(); });
    if (established_) return {};  // a failure right after is next()'s to report
    if (failure_) return *failure_;
    return make_error("store.unavailable", "etcd: watch not confirmed in time");
  }

  Result<std::vector<Event>> next(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return !queue_.empty() || failure_.has_value(); });
    if (queue_.empty() && failure_) return *failure_;
    std::vector<Event> events(std::make_move_iterator(queue_.begin()),
                              std::make_move_iterator(queue_.end()));
    queue_.clear();
    return events;
  }

 private:
  enum class StreamEnd { stopped, failed, broken };

  void run() {
    size_t failures_in_row = 0;
    while (!stopping_.load()) {
      bool confirmed = false;
      const StreamEnd end = stream(confirmed);
      if (end != StreamEnd::broken) break;
      if (confirmed) {
        failures_in_row = 0;  // it worked until now: try the same member again first
      } else {
        index_ = (index_ + 1) % endpoints_.size();
        if (++failures_in_row >= endpoints_.size()) {
          fail(make_error("store.unavailable", "etcd: no endpoint accepts the watch"));
          break;
        }
      }
      std::unique_lock lock(mutex_);
      if (changed_.wait_for(lock, kRetryPause, [&] { return stopping_.load(); })) break;
    }
  }

  // One streaming request on endpoints_[index_], from the resume point.
  StreamEnd stream(bool& confirmed) {
    auto client = make_http_client(endpoints_[index_], kStreamReadTimeout);
    int64_t start = 0;
    {
      std::lock_guard lock(mutex_);
      if (stopping_.load()) return StreamEnd::stopped;
      client_ = client.get();
      start = last_revision_ > 0 ? last_revision_ : next_revision_;
      skip_ = last_revision_ > 0 ? delivered_in_last_revision_ : 0;
    }
    httplib::Request request;
    request.method = "POST";
    request.path = "/v3/watch";
    request.body = watch_request(request_body_prefix_, start).dump();
    request.set_header("Content-Type", "application/json");
    std::string buffer;
    request.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
      buffer.append(data, size);
      for (size_t newline; (newline = buffer.find('\n')) != std::string::npos;) {
        const bool keep_going = handle(buffer.substr(0, newline), confirmed);
        buffer.erase(0, newline + 1);
        if (!keep_going) return false;
      }
      return !stopping_.load();
    };
    httplib::Response response;
    httplib::Error error = httplib::Error::Success;
    client->send(request, response, error);
    {
      std::lock_guard lock(mutex_);
      client_ = nullptr;
      if (stopping_.load()) return StreamEnd::stopped;
      if (failure_) return StreamEnd::failed;
    }
    if (response.status > 0 && response.status != 200) {  // an answer, not a broken stream
      fail(parse_gateway_error(response.status, buffer).error);
      return StreamEnd::failed;
    }
    return StreamEnd::broken;
  }

  // One JSON message of the stream; false ends the stream.
  bool handle(const std::string& line, bool& confirmed) {
    if (line.find_first_not_of(" \r\t") == std::string::npos) return true;
    auto message = nlohmann::json::parse(line, nullptr, false);
    if (!message.is_object() || !message.contains("result")) {
      fail(make_error("store.unavailable", "etcd: watch stream said: " + line.substr(0, 200)));
      return false;
    }
    const auto& result = message["result"];
    auto compacted = int_field(result, "compact_revision");
    if (compacted && *compacted > 0) {
      fail(make_error("store.compacted", "etcd: watch revision is compacted (compaction at " +
                                             std::to_string(*compacted) + ")"));
      return false;
    }
    if (flag_field(result, "canceled")) {
      fail(make_error("store.unavailable", "etcd: watch canceled: " + line.substr(0, 200)));
      return false;
    }
    if (flag_field(result, "created")) confirmed = true;
    if (result.contains("events") && !queue_events(result["events"])) return false;
    std::lock_guard lock(mutex_);
    if (confirmed && !established_) {
      established_ = true;
      changed_.notify_all();
    }
    return true;
  }

  bool queue_events(const nlohmann::json& events) {
    if (!events.is_array()) {
      fail(make_error("store.corrupt", "etcd: watch events are not a list"));
      return false;
    }
    std::lock_guard lock(mutex_);
    for (const auto& item : events) {
      auto parsed = event(item);
      if (!parsed) {
        failure_ = parsed.error();
        changed_.notify_all();
        return false;
      }
      const int64_t revision = parsed->kv.mod_revision;
      if (revision == last_revision_ && skip_ > 0) {
        --skip_;  // delivered before the stream was resumed
        continue;
      }
      if (revision < last_revision_) continue;  // cannot happen with a sane server
      if (revision != last_revision_) delivered_in_last_revision_ = 0;
      last_revision_ = revision;
      ++delivered_in_last_revision_;
      queue_.push_back(std::move(*parsed));
    }
    changed_.notify_all();
    return true;
  }

  void fail(Error error) {
    std::lock_guard lock(mutex_);
    if (!failure_) failure_ = std::move(error);
    changed_.notify_all();
  }

  // Interrupts the stream (shutting its socket down) until the thread is gone.
  void stop() {
    stopping_.store(true);
    {
      std::lock_guard lock(mutex_);
      changed_.notify_all();
    }
    if (!thread_.joinable()) return;
    for (int attempt = 0; attempt < 100 && !finished(); ++attempt) {
      {
        std::lock_guard lock(mutex_);
        if (client_ != nullptr) client_->stop();
      }
      std::this_thread::sleep_for(10ms);
    }
    thread_.join();
  }

  bool finished() {
    std::lock_guard lock(mutex_);
    return client_ == nullptr;
  }

  const std::vector<Endpoint> endpoints_;
  size_t index_;  // the member streaming now; only the thread touches it after start()
  const std::string request_body_prefix_;
  const int64_t next_revision_;
  std::thread thread_;
  std::atomic<bool> stopping_ = false;

  std::mutex mutex_;
  std::condition_variable changed_;
  httplib::Client* client_ = nullptr;  // the streaming client, while a request runs
  std::deque<Event> queue_;
  std::optional<Error> failure_;
  bool established_ = false;
  int64_t last_revision_ = 0;               // revision of the last queued event
  int64_t delivered_in_last_revision_ = 0;  // events of last_revision_ queued so far
  int64_t skip_ = 0;                        // events of last_revision_ to drop after a resume
};

}  // namespace

Result<std::unique_ptr<Watch>> start_watch(std::vector<Endpoint> endpoints, size_t preferred,
                                           std::string prefix, int64_t from_revision) {
  if (endpoints.empty()) return make_error("store.invalid_argument", "etcd: no endpoints");
  auto watch = std::make_unique<EtcdWatch>(std::move(endpoints), preferred, std::move(prefix),
                                           from_revision);
  if (auto started = watch->start(); !started) return started.error();
  return std::unique_ptr<Watch>(std::move(watch));
}

}  // namespace openvpc::store::etcd
