// fake_etcd.h — an httplib server on 127.0.0.1 (a port the kernel picks) standing in for an
// etcd gateway, so client behaviour (failover, error mapping, stream resumption) is tested
// with answers no real etcd gives on demand. Handlers are set before start(); stop() in the
// destructor.
#pragma once

#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>

namespace openvpc::store::testing {

class FakeEtcd {
 public:
  FakeEtcd() = default;
  ~FakeEtcd() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  FakeEtcd(const FakeEtcd&) = delete;
  FakeEtcd& operator=(const FakeEtcd&) = delete;

  httplib::Server& server() { return server_; }
  // Binds and serves; false when no port could be bound.
  bool start() {
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_max_count(1000);  // like etcd, which keeps connections open
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) return false;
    server_.Get("/ready", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // Answered once the accept loop runs; stop() before that would not end it.
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(std::chrono::milliseconds(200));
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (auto res = client.Get("/ready"); res && res->status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace openvpc::store::testing
