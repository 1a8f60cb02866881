// Header-only (cpp-httplib is compiled into the test executables through
// gantry_http): an httplib::Server on a free loopback port, on its own thread.
#pragma once

#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>

#include "support/registry.h"

namespace gantry::testing {

// Runs an httplib::Server on 127.0.0.1 on a thread.
class LoopbackServer {
 public:
  LoopbackServer() = default;
  ~LoopbackServer() { stop(); }
  void start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    wait_for_port(port_, std::chrono::seconds(5));
  }
  void stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }
  int port() const { return port_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  httplib::Server& server() { return server_; }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace gantry::testing
