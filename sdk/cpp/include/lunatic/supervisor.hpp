// Supervisor: starts children, links to them, and restarts them when they fail, with Erlang's
// strategies (one-for-one, one-for-all, rest-for-one) and a restart intensity: more than
// `max_restarts` restarts within `period` and the supervisor gives up: it stops its children and
// fails itself, so its own supervisor (or linked parent) hears of it. Lunatic's has no limit.
//
//   void tree(int workers, lunatic::Mailbox<lunatic::SupervisorRequest> mailbox) {
//     lunatic::Supervisor supervisor(lunatic::Strategy::kOneForOne, {.max_restarts = 3,
//                                                                     .period = 5s});
//     for (int i = 0; i < workers; ++i)
//       supervisor.add_child("worker", [] { return lunatic::start_server<Worker>(0); });
//     supervisor.run(mailbox);
//   }
//   auto tree = lunatic::spawn(&tree, 4).value();
//   auto children = lunatic::supervisor_children(tree, 1s);
//
// A child is restarted when it fails (trap, kill, non-zero exit) or, on another node, when that
// node is lost. A child whose function returns normally is not restarted: links only hear
// failures. The start functions run in the supervisor's own process, so they may capture
// anything. add_child_on places a child on a node chosen by tags, and a restart on another.
#pragma once

#include <lunatic/abi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <lunatic/distributed.hpp>
#include <lunatic/mailbox.hpp>
#include <lunatic/process.hpp>
#include <lunatic/request.hpp>
#include <lunatic/result.hpp>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace lunatic {

enum class Strategy { kOneForOne, kOneForAll, kRestForOne };

struct RestartIntensity {
  int max_restarts = 3;
  Milliseconds period{5000};
};

struct ChildInfo {
  std::string name;
  ProcessId process;
  int restarts = 0;
};

enum class SupervisorCall { kWhichChildren, kStop };
// What a supervisor's mailbox takes: the children (in start order) or a stop.
using SupervisorRequest = Request<SupervisorCall, std::vector<ChildInfo>>;

class Supervisor {
 public:
  Supervisor(Strategy strategy, RestartIntensity intensity)
      : strategy_(strategy), intensity_(intensity) {}

  // `start` returns Result<ProcessId>, Result<Process<M>> or Result<ServerRef<S>>; it runs now
  // (well, in run()) and on every restart.
  template <class Start>
  void add_child(std::string name, Start start) {
    children_.push_back(
        Child{std::move(name), [start]() -> Result<ProcessId> {
                auto started = start();
                if (!started) return started.error();
                if constexpr (std::is_same_v<std::decay_t<decltype(*started)>, ProcessId>) {
                  return *started;
                } else {
                  return started->id();
                }
              }});
  }

  // A child placed on a node of the cluster: `start(node)` starts it there (with spawn_on) and
  // returns as add_child's start does. The node is one whose tags match `query` ("" for any),
  // taken in turn; a restart avoids the node the child last ran on when another matches, so a
  // child whose node died (its link fires when the node is lost) comes back on a live one.
  template <class Start>
  void add_child_on(std::string name, std::string query, Start start) {
    auto last_node = std::make_shared<std::optional<NodeId>>();
    auto turn = std::make_shared<std::size_t>(children_.size());
    add_child(std::move(name), [query, start, last_node, turn]() -> Result<ProcessId> {
      auto candidates = lookup_nodes(query);
      if (!candidates) return candidates.error();
      if (candidates->size() > 1 && *last_node) std::erase(*candidates, **last_node);
      if (candidates->empty()) {
        return Error{ErrorKind::kHost, "no node matches \"" + query + "\""};
      }
      const NodeId node = (*candidates)[(*turn)++ % candidates->size()];
      *last_node = node;
      auto started = start(node);
      if (!started) return started.error();
      if constexpr (std::is_same_v<std::decay_t<decltype(*started)>, ProcessId>) {
        return *started;
      } else {
        return started->id();
      }
    });
  }

  // Starts the children in order and supervises them until a kStop request (then it stops the
  // children in reverse order and returns) or until the intensity is exceeded (then it fails).
  void run(Mailbox<SupervisorRequest> mailbox) {
    die_when_link_dies(false);
    for (std::size_t i = 0; i < children_.size(); ++i) {
      if (!start_child(i)) give_up("child '" + children_[i].name + "' did not start");
    }
    for (;;) {
      Result<Event<SupervisorRequest>> event = mailbox.receive_event();
      if (!event) continue;  // a message that does not decode: not ours to act on
      if (auto* link = std::get_if<1>(&*event)) {
        child_failed(link->tag);
      } else if (auto* request = std::get_if<0>(&*event)) {
        if (request->body == SupervisorCall::kStop) {
          stop_children();
          request->reply({});
          return;
        }
        request->reply(children_info());
      }
    }
  }

 private:
  struct Child {
    std::string name;
    std::function<Result<ProcessId>()> start;
    ProcessId process{};
    Tag link_tag = 0;  // 0: not running
    int restarts = 0;
  };

  bool start_child(std::size_t index) {
    Child& child = children_[index];
    Result<ProcessId> started = child.start();
    if (!started) {
      std::fprintf(stderr, "lunatic: supervisor: child '%s' did not start: %s\n",
                   child.name.c_str(), started.error().message.c_str());
      return false;
    }
    child.process = *started;
    child.link_tag = next_tag_++;
    // A child that died before this link is reported at once, with this tag.
    Process<std::monostate>(child.process).link(child.link_tag);
    return true;
  }

  void child_failed(Tag tag) {
    std::size_t index = 0;
    while (index < children_.size() && children_[index].link_tag != tag) ++index;
    if (index == children_.size()) return;  // a child stopped on purpose before its signal came
    children_[index].link_tag = 0;
    std::size_t first = index;
    std::size_t last = index + 1;
    if (strategy_ == Strategy::kOneForAll) {
      first = 0;
      last = children_.size();
    } else if (strategy_ == Strategy::kRestForOne) {
      last = children_.size();
    }
    for (std::size_t i = last; i-- > first;) stop_child(i);
    record_restart();
    for (std::size_t i = first; i < last; ++i) {
      ++children_[i].restarts;
      while (!start_child(i)) record_restart();  // a failed start counts as one more restart
    }
  }

  // One restart now; gives up (never returns) when the last period already holds the maximum.
  void record_restart() {
    const auto now = std::chrono::steady_clock::now();
    while (!restart_times_.empty() && now - restart_times_.front() > intensity_.period) {
      restart_times_.pop_front();
    }
    if (static_cast<int>(restart_times_.size()) >= intensity_.max_restarts) {
      give_up("more than " + std::to_string(intensity_.max_restarts) + " restarts in " +
              std::to_string(intensity_.period.count()) + " ms");
    }
    restart_times_.push_back(now);
  }

  // Unlinks and kills a running child, and waits until it is gone (a kill lands at the child's
  // next suspension or preemption point), so a restarted named child cannot find its old self.
  void stop_child(std::size_t index) {
    Child& child = children_[index];
    if (child.link_tag == 0) return;
    child.link_tag = 0;
    Process<std::monostate> process(child.process);
    process.unlink();
    process.kill();
    // Another node's process cannot be watched die without a round trip; its node kills it.
    if (!(node_of(child.process) == this_node())) return;
    while (process.alive()) sleep(Milliseconds(1));
  }

  void stop_children() {
    for (std::size_t i = children_.size(); i-- > 0;) stop_child(i);
  }

  [[noreturn]] void give_up(const std::string& why) {
    std::fprintf(stderr, "lunatic: supervisor %llu gives up: %s\n",
                 static_cast<unsigned long long>(lunatic_process_id()), why.c_str());
    stop_children();
    std::_Exit(1);  // a failure: the supervisor's links hear it
  }

  std::vector<ChildInfo> children_info() const {
    std::vector<ChildInfo> info;
    for (const Child& child : children_)
      info.push_back({child.name, child.process, child.restarts});
    return info;
  }

  Strategy strategy_;
  RestartIntensity intensity_;
  std::vector<Child> children_;
  std::deque<std::chrono::steady_clock::time_point> restart_times_;
  Tag next_tag_ = 0x4C554E0300000000;
};

// The children of a supervisor (each with its current process and restart count).
inline Result<std::vector<ChildInfo>> supervisor_children(
    const Process<SupervisorRequest>& supervisor, Milliseconds timeout) {
  return request(supervisor, SupervisorCall::kWhichChildren, timeout);
}

// Stops the children (last first), then the supervisor.
inline Result<void> stop_supervisor(const Process<SupervisorRequest>& supervisor,
                                    Milliseconds timeout) {
  Result<std::vector<ChildInfo>> done = request(supervisor, SupervisorCall::kStop, timeout);
  if (!done) return done.error();
  return {};
}

}  // namespace lunatic
