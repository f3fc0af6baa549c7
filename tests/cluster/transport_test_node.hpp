// Test support: a NodeTransport on 127.0.0.1 with a recorder of what its callbacks saw, and a
// wait for a condition on it. The transport calls back on its I/O thread; the test reads the
// record under the recorder's lock.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cluster/transport.hpp"
#include "shared/test_certificates.hpp"

namespace lunatic::cluster::testing {

using namespace std::chrono_literals;

struct Received {
  std::uint64_t peer;
  std::uint8_t channel;
  std::uint64_t stream;
  std::vector<std::uint8_t> bytes;
};

struct Record {
  std::vector<Received> messages;
  std::vector<std::uint64_t> ups;
  std::vector<std::pair<std::uint64_t, std::string>> downs;
  std::vector<std::string> failures;  // "peer address: reason"
};

// Options for tests: ticks long enough that a loaded machine does not trip them.
inline NodeTransportOptions test_options(std::uint64_t id, const TestCertificates& ca,
                                         const std::string& name) {
  NodeTransportOptions options;
  options.node_id = id;
  options.node_name = name;
  options.cluster_name = "test-cluster";
  options.identity = ca.identity(name);
  options.tick_interval = 200ms;
  options.tick_timeout = 3s;
  options.reconnect_min = 20ms;
  options.reconnect_max = 500ms;
  return options;
}

class TestNode {
 public:
  // refuse_incarnation: the transport's callback of that name (none: every hello is let in).
  explicit TestNode(NodeTransportOptions options,
                    std::function<std::optional<std::string>(std::uint64_t, std::uint64_t)>
                        refuse_incarnation = {})
      : id_(options.node_id) {
    NodeTransportCallbacks callbacks;
    callbacks.refuse_incarnation = std::move(refuse_incarnation);
    callbacks.on_message = [this](std::uint64_t peer, std::uint8_t channel, std::uint64_t stream,
                                  std::vector<std::uint8_t> bytes) {
      if (on_message_hook) on_message_hook(peer, channel, stream, bytes);
      if (!keep_messages) return;
      update([&](Record& r) { r.messages.push_back({peer, channel, stream, std::move(bytes)}); });
    };
    callbacks.on_peer_up = [this](std::uint64_t peer) {
      update([&](Record& r) { r.ups.push_back(peer); });
    };
    callbacks.on_peer_down = [this](std::uint64_t peer, const std::string& reason) {
      update([&](Record& r) { r.downs.emplace_back(peer, reason); });
    };
    callbacks.on_connection_failed = [this](std::uint64_t peer, const std::string& address,
                                            const std::string& reason) {
      update([&](Record& r) {
        r.failures.push_back(std::to_string(peer) + " " + address + ": " + reason);
      });
    };
    transport_ = std::make_unique<NodeTransport>(std::move(options), std::move(callbacks));
    auto started = transport_->start();
    if (!started) throw std::runtime_error(started.error().message);
  }
  ~TestNode() { transport_->stop(); }  // before the recorder goes

  NodeTransport& transport() { return *transport_; }
  std::uint64_t id() const { return id_; }
  std::string address() const { return transport_->bound_address().to_string(); }

  // Waits until `condition` holds of the record; false if it does not within `timeout`.
  bool wait(const std::function<bool(const Record&)>& condition,
            std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return condition(record_); });
  }
  template <class F>
  auto read(F&& f) {
    std::lock_guard lock(mutex_);
    return f(record_);
  }

  // Called on the I/O thread before a message is recorded (a test's own check). Set both before
  // the node connects.
  std::function<void(std::uint64_t, std::uint8_t, std::uint64_t, const std::vector<std::uint8_t>&)>
      on_message_hook;
  bool keep_messages = true;  // false: messages only reach the hook

 private:
  template <class F>
  void update(F&& f) {
    {
      std::lock_guard lock(mutex_);
      f(record_);
    }
    changed_.notify_all();
  }

  std::uint64_t id_;
  std::mutex mutex_;
  std::condition_variable changed_;
  Record record_;
  std::unique_ptr<NodeTransport> transport_;
};

// Makes `a` and `b` members of each other and waits until both are up.
inline void connect_pair(TestNode& a, TestNode& b) {
  ASSERT_TRUE(a.transport().add_peer(b.id(), b.address()));
  ASSERT_TRUE(b.transport().add_peer(a.id(), a.address()));
  ASSERT_TRUE(a.wait([&](const Record& r) { return !r.ups.empty(); }));
  ASSERT_TRUE(b.wait([&](const Record& r) { return !r.ups.empty(); }));
  ASSERT_TRUE(a.transport().connected(b.id()));
  ASSERT_TRUE(b.transport().connected(a.id()));
}

inline std::vector<std::uint8_t> bytes_of(const std::string& text) {
  return {text.begin(), text.end()};
}

}  // namespace lunatic::cluster::testing
