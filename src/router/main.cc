// main.cc — openvpc-router: runs a Router until SIGTERM/SIGINT; SIGHUP reloads the program.
//
//   openvpc-router --host-id h1 --underlay-ip 127.0.0.2 (--program FILE.json | --controller
//       127.0.0.1:PORT) [--workers N] [--log-level info] [--state-dir DIR]
//       [--instance ENI=NAMESPACE]... [--tap-prefix P] [--admin ADDRESS:PORT|off]
//       [--tls-dir DIR | --insecure] [--admin-tls]
//
// The admin endpoint (admin_server.h: /metrics, /trace, /capture) listens on the underlay
// address (127.0.0.1 when that is not loopback), port 9180, unless --admin says otherwise; off
// loopback it is HTTPS for operator certificates (options.h); when the default cannot be bound the
// router runs without it (a warning), when an explicit --admin cannot, it does not start.
// Signals are blocked in every thread and taken here with sigtimedwait, so workers never see
// them. The program source is polled for changes every 100 ms. With --controller the router
// waits (until a signal) for the controller's first program before it starts. Exit status: 0 after
// a clean shutdown, 1 when the router could not start, 2 for a bad command line.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include <spdlog/spdlog.h>

#include "router/admin_server.h"
#include "router/controller_program_source.h"
#include "router/options.h"
#include "router/router.h"

namespace {

using namespace openvpc::router;
using Clock = std::chrono::steady_clock;

int serve(Router& router, const RouterOptions& options, const sigset_t& signals,
          AdminServer* admin) {
  const auto counters_interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options.counters_interval_seconds));
  const auto poll_interval = std::chrono::milliseconds(100);
  auto next_counters = Clock::now();
  auto next_poll = Clock::now() + poll_interval;
  router.write_counters();
  while (true) {
    const timespec wait{0, 100'000'000};
    const int signal = sigtimedwait(&signals, nullptr, &wait);
    if (signal == SIGTERM || signal == SIGINT) {
      spdlog::info("signal {}: shutting down", signal);
      break;
    }
    if (signal == SIGHUP) {
      spdlog::info("SIGHUP: reloading the program");
      (void)router.reload(true);
      router.write_counters();
    }
    const auto now = Clock::now();
    if (now >= next_poll) {
      next_poll = now + poll_interval;
      (void)router.reload(false);
    }
    if (now >= next_counters) {
      next_counters = now + counters_interval;
      router.write_counters();
    }
  }
  if (admin != nullptr) admin->stop();  // before the workers go
  router.shutdown();
  return 0;
}

// The configured source; for the controller, once its first program is there. nullptr when a
// signal came first.
std::unique_ptr<ProgramSource> open_source(const RouterOptions& options, const sigset_t& signals) {
  if (options.controller_address.empty()) {
    return std::make_unique<FileProgramSource>(options.program_path);
  }
  auto source = std::make_unique<ControllerProgramSource>(options.controller_address,
                                                          options.host_id, options.tls_dir);
  spdlog::info("waiting for the first program from {}", source->describe());
  while (!source->wait_first(std::chrono::milliseconds(100))) {
    const timespec poll{0, 0};
    const int signal = sigtimedwait(&signals, nullptr, &poll);
    if (signal == SIGTERM || signal == SIGINT) return nullptr;
  }
  return source;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parse_options(argc, argv);
  if (!options) {
    const bool help = options.error().code == "options.help";
    std::fputs(options.error().message.c_str(), help ? stdout : stderr);
    std::fputs("\n", help ? stdout : stderr);
    return help ? 0 : 2;
  }
  spdlog::set_level(spdlog::level::from_str(options->log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + options->host_id + "] %v");

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts

  auto source = open_source(*options, signals);
  if (!source) return 0;
  auto router = Router::create(*options, std::move(source));
  if (!router) {
    spdlog::critical("cannot start: {}: {}", router.error().code, router.error().message);
    return 1;
  }
  std::unique_ptr<AdminServer> admin;
  if (!options->admin_address.empty()) {
    auto started = AdminServer::start(**router, options->admin_address, options->admin_port,
                                      options->admin_https ? options->tls_dir : "");
    if (started) {
      admin = std::move(*started);
    } else if (options->admin_given) {
      spdlog::critical("cannot start: {}", started.error().message);
      (*router)->shutdown();
      return 1;
    } else {
      spdlog::warn("running without the admin endpoint: {}", started.error().message);
    }
  }
  return serve(**router, *options, signals, admin.get());
}
