#include "host/distributed_node.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <fmt/core.h>

#include <algorithm>

#include "cluster/process_id.hpp"
#include "common/unique_fd.hpp"
#include "engine/engine.hpp"
#include "host/process_config_codec.hpp"
#include "host/return_codes.hpp"
#include "runtime/blocking.hpp"
#include "runtime/message.hpp"
#include "runtime/process.hpp"
#include "runtime/scheduler.hpp"
#include "runtime/trace_recorder.hpp"

namespace lunatic::host {

namespace {
// Ids reported gone that later sends fail on at once; older ones are forgotten (a send to them
// is queued again and reported again).
constexpr std::size_t kGoneRemembered = 65'536;

// A local process's death as the other node hears it. Only a remote process is ever lost with
// its node, so a local death is normal or a failure.
cluster::Signal::Reason to_wire(runtime::DeathReason reason) {
  switch (reason) {
    case runtime::DeathReason::kNormal:
      return cluster::Signal::Reason::kNormal;
    case runtime::DeathReason::kNoProcess:
      return cluster::Signal::Reason::kNoProcess;
    case runtime::DeathReason::kFailure:
    case runtime::DeathReason::kNodeDown:
      break;
  }
  return cluster::Signal::Reason::kFailure;
}

runtime::DeathReason from_wire(cluster::Signal::Reason reason) {
  switch (reason) {
    case cluster::Signal::Reason::kNormal:
      return runtime::DeathReason::kNormal;
    case cluster::Signal::Reason::kNoProcess:
      return runtime::DeathReason::kNoProcess;
    case cluster::Signal::Reason::kFailure:
      break;
  }
  return runtime::DeathReason::kFailure;
}

}  // namespace

// A spawn waiting for its reply: the reply's arrival is an eventfd the process waits on.
struct DistributedNode::PendingSpawn {
  std::uint64_t node = 0;
  UniqueFd ready{::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)};
  bool done = false;  // under the node's mutex
  RemoteSpawn result;

  void finish(RemoteSpawn outcome) {
    result = std::move(outcome);
    done = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(ready.get(), &one, sizeof one);
  }
};

DistributedNode::DistributedNode(Environment& environment, cluster::Cluster& cluster,
                                 DistributedOptions options)
    : environment_(environment), cluster_(cluster), options_(std::move(options)) {
  environment_.keep_module_sources();
  spawner_ = std::thread([this] { serve_spawns(); });
  environment_.scheduler().set_remote_peers(this);
  cluster_.set_handler(this);
}

DistributedNode::~DistributedNode() {
  cluster_.set_handler(nullptr);
  environment_.scheduler().set_remote_peers(nullptr);
  {
    std::lock_guard guard(jobs_mutex_);
    stopping_ = true;
  }
  jobs_ready_.notify_all();
  spawner_.join();
}

bool DistributedNode::is_remote(std::uint64_t process_id) const {
  return cluster::node_of(process_id) != cluster_.node_id();
}

bool DistributedNode::may_exist(std::uint64_t process_id) {
  if (!has_node(cluster::node_of(process_id))) return false;
  std::lock_guard guard(mutex_);
  return !gone_.contains(process_id);
}

std::uint32_t DistributedNode::send(std::uint64_t node, std::uint64_t sender,
                                    std::uint64_t receiver, const runtime::Message& message) {
  if (!has_node(node)) return kNoSuchNode;
  if (auto* trace = runtime::trace_recorder()) [[unlikely]]
    trace->sent_remote(sender, node, receiver, message);
  {
    std::lock_guard guard(mutex_);
    if (gone_.contains(receiver)) return kNoSuchProcess;
  }
  cluster::RemoteMessage record{receiver, sender, message.tag, message.data};
  const Status sent = cluster_.send(node, cluster::Channel::kMessage,
                                    cluster::message_stream(sender, receiver), encode(record));
  return sent ? kOk : kConnectionError;
}

RemoteSpawn DistributedNode::spawn(std::uint64_t node, const SpawnRequest& request,
                                   runtime::Blocking& waiter) {
  if (!has_node(node)) return {kSpawnNoSuchNode, 0, "Node does not exist."};
  const auto source = environment_.module_source(*request.module);
  if (!source) {
    return {kSpawnNoSuchModule, 0, "Module does not exist: its bytes were not kept."};
  }
  auto pending = std::make_shared<PendingSpawn>();
  pending->node = node;
  if (pending->ready.get() < 0) return {kConnectionError, 0, "no eventfd for the spawn's reply"};
  cluster::SpawnRequest record;
  bool ship_module = false;
  {
    std::lock_guard guard(mutex_);
    record.request = next_request_++;
    pending_.emplace(record.request, pending);
    ship_module = shipped_[node].insert(source->hash).second;
  }
  // Whatever ends the wait (a reply, a timeout, a kill unwinding through here), the entry goes.
  struct Forget {
    DistributedNode& self;
    std::uint64_t request;
    ~Forget() {
      std::lock_guard guard(self.mutex_);
      self.pending_.erase(request);
    }
  } forget{*this, record.request};

  record.parent = request.parent;
  record.module = source->hash;
  record.function = request.function;
  record.param_types = request.param_types;
  record.params = request.params;
  record.config = encode_config(*request.config);
  // Modules and spawns share stream 0, so the bytes arrive before the spawn that needs them.
  if (ship_module) {
    cluster::ModuleBytes module{source->hash, {source->wasm->begin(), source->wasm->end()}};
    if (const Status sent = cluster_.send(node, cluster::Channel::kModule, 0, encode(module));
        !sent) {
      std::lock_guard guard(mutex_);
      shipped_[node].erase(source->hash);
      return {kConnectionError, 0, sent.error().message};
    }
  }
  if (const Status sent = cluster_.send(node, cluster::Channel::kSpawn, 0, encode(record)); !sent) {
    return {kConnectionError, 0, sent.error().message};
  }
  const auto started = runtime::Clock::now();
  const auto deadline = started + options_.spawn_timeout;
  auto connect_deadline = started + options_.connect_timeout;
  const runtime::FdInterest interest{pending->ready.get(), /*read=*/true, /*write=*/false};
  runtime::FdReadiness readiness;
  while (true) {
    {
      std::lock_guard guard(mutex_);
      if (pending->done) return pending->result;
    }
    const auto now = runtime::Clock::now();
    if (now >= deadline) {
      return {kConnectionError, 0,
              fmt::format("node {} did not answer the spawn within {} ms", node,
                          options_.spawn_timeout.count())};
    }
    if (now >= connect_deadline) {
      if (!cluster_.connected(node)) {
        std::lock_guard guard(mutex_);
        const auto failure = connection_failures_.find(node);
        return {
            kConnectionError, 0,
            fmt::format(
                "no connection to node {} within {} ms{}", node, options_.connect_timeout.count(),
                failure == connection_failures_.end() ? std::string() : ": " + failure->second)};
      }
      connect_deadline = deadline;  // connected: the reply has until the spawn's deadline
    }
    waiter.wait_fds({&interest, 1}, {&readiness, 1}, std::min(deadline, connect_deadline));
  }
}

void DistributedNode::kill(std::uint64_t process_id) {
  // Unknown nodes and ids are ignored, as kill ignores unknown local ids.
  const std::uint64_t node = cluster::node_of(process_id);
  if (!has_node(node)) return;
  (void)cluster_.send(node, cluster::Channel::kKill, 0, encode(cluster::Kill{process_id}));
}

void DistributedNode::link(runtime::Process& local, std::uint64_t remote, std::int64_t tag) {
  const std::uint64_t node = cluster::node_of(remote);
  if (!may_exist(remote)) {
    local.link_died(remote, tag, runtime::DeathReason::kNoProcess);
    return;
  }
  local.add_link(remote, tag);
  {
    std::lock_guard guard(mutex_);
    remote_ends_[node].links[{local.id(), remote}] = tag;
  }
  // Recorded first: a node that went down meanwhile either finds the link or is seen here.
  if (!has_node(node) ||
      !cluster_.send(node, cluster::Channel::kSignal, cluster::message_stream(local.id(), remote),
                     encode(cluster::Signal{cluster::Signal::Kind::kLink, local.id(), remote, tag,
                                            cluster::Signal::Reason::kNormal}))) {
    {
      std::lock_guard guard(mutex_);
      remote_ends_[node].links.erase({local.id(), remote});
    }
    local.link_died(remote, tag, runtime::DeathReason::kNodeDown);
  }
}

void DistributedNode::unlink(runtime::Process& local, std::uint64_t remote) {
  local.remove_link(remote);
  {
    std::lock_guard guard(mutex_);
    const auto found = remote_ends_.find(cluster::node_of(remote));
    if (found == remote_ends_.end() || found->second.links.erase({local.id(), remote}) == 0) return;
  }
  send_signal(
      {cluster::Signal::Kind::kUnlink, local.id(), remote, 0, cluster::Signal::Reason::kNormal});
}

void DistributedNode::monitor(runtime::Process& local, std::uint64_t remote) {
  const std::uint64_t node = cluster::node_of(remote);
  if (may_exist(remote)) {
    {
      std::lock_guard guard(mutex_);
      remote_ends_[node].monitoring.insert({local.id(), remote});
    }
    if (has_node(node) &&
        cluster_.send(node, cluster::Channel::kSignal, cluster::message_stream(local.id(), remote),
                      encode(cluster::Signal{cluster::Signal::Kind::kMonitor, local.id(), remote, 0,
                                             cluster::Signal::Reason::kNormal}))) {
      return;
    }
    std::lock_guard guard(mutex_);
    remote_ends_[node].monitoring.erase({local.id(), remote});
  }
  // As Erlang's monitor of a process that is not there: it reports the death at once.
  local.send(runtime::Message::process_died(remote));
}

void DistributedNode::stop_monitoring(runtime::Process& local, std::uint64_t remote) {
  {
    std::lock_guard guard(mutex_);
    const auto found = remote_ends_.find(cluster::node_of(remote));
    if (found == remote_ends_.end() || found->second.monitoring.erase({local.id(), remote}) == 0)
      return;
  }
  send_signal({cluster::Signal::Kind::kStopMonitoring, local.id(), remote, 0,
               cluster::Signal::Reason::kNormal});
}

void DistributedNode::link_died(std::uint64_t peer, std::uint64_t died, std::int64_t tag,
                                runtime::DeathReason reason) {
  {
    std::lock_guard guard(mutex_);
    const auto found = remote_ends_.find(cluster::node_of(peer));
    if (found != remote_ends_.end()) found->second.links.erase({died, peer});
  }
  send_signal({cluster::Signal::Kind::kLinkDied, died, peer, tag, to_wire(reason)});
}

void DistributedNode::monitored_died(std::uint64_t watcher, std::uint64_t died) {
  {
    std::lock_guard guard(mutex_);
    const auto found = remote_ends_.find(cluster::node_of(watcher));
    if (found != remote_ends_.end()) found->second.watched.erase({died, watcher});
  }
  send_signal(
      {cluster::Signal::Kind::kMonitoredDied, died, watcher, 0, cluster::Signal::Reason::kNormal});
}

void DistributedNode::send_signal(cluster::Signal signal) {
  // A node that is gone or unreachable has its own way of being told: its links fire there.
  const std::uint64_t node = cluster::node_of(signal.to);
  if (!has_node(node)) return;
  (void)cluster_.send(node, cluster::Channel::kSignal,
                      cluster::message_stream(signal.from, signal.to), encode(signal));
}

void DistributedNode::on_signal(const cluster::Signal& signal, std::uint64_t from_node) {
  using Kind = cluster::Signal::Kind;
  // A node speaks only for its own processes, and only to this node's.
  if (cluster::node_of(signal.from) != from_node || is_remote(signal.to)) {
    environment_.log(LogLevel::kWarn,
                     fmt::format("node {} sent a signal from {} to {}, not from one of its "
                                 "processes to one of this node's; ignored",
                                 from_node, signal.from, signal.to));
    return;
  }
  const auto target = environment_.scheduler().find(signal.to);
  const auto local_remote = std::make_pair(signal.to, signal.from);
  switch (signal.kind) {
    case Kind::kLink:
      if (target && target->add_link(signal.from, signal.tag)) {
        std::lock_guard guard(mutex_);
        remote_ends_[from_node].links[local_remote] = signal.tag;
      } else {
        send_signal({Kind::kLinkDied, signal.to, signal.from, signal.tag,
                     cluster::Signal::Reason::kNoProcess});
      }
      return;
    case Kind::kUnlink: {
      if (target) target->remove_link(signal.from);
      std::lock_guard guard(mutex_);
      remote_ends_[from_node].links.erase(local_remote);
      return;
    }
    case Kind::kMonitor:
      if (target && target->add_monitor(signal.from)) {
        std::lock_guard guard(mutex_);
        remote_ends_[from_node].watched.insert(local_remote);
      } else {
        send_signal(
            {Kind::kMonitoredDied, signal.to, signal.from, 0, cluster::Signal::Reason::kNoProcess});
      }
      return;
    case Kind::kStopMonitoring: {
      if (target) target->remove_monitor(signal.from);
      std::lock_guard guard(mutex_);
      remote_ends_[from_node].watched.erase(local_remote);
      return;
    }
    case Kind::kLinkDied: {
      {
        std::lock_guard guard(mutex_);
        remote_ends_[from_node].links.erase(local_remote);
      }
      if (target) target->link_died(signal.from, signal.tag, from_wire(signal.reason));
      return;
    }
    case Kind::kMonitoredDied: {
      {
        std::lock_guard guard(mutex_);
        remote_ends_[from_node].monitoring.erase(local_remote);
      }
      if (target) target->send(runtime::Message::process_died(signal.from));
      return;
    }
  }
}

void DistributedNode::on_record(std::uint64_t from_node, cluster::Channel channel,
                                std::span<const std::uint8_t> record) {
  switch (channel) {
    case cluster::Channel::kMessage:
      if (auto message = cluster::decode_message(record)) {
        deliver(std::move(*message), from_node);
        return;
      }
      break;
    case cluster::Channel::kNoProcess:
      if (auto gone = cluster::decode_no_process(record)) {
        remember_gone(gone->process);
        return;
      }
      break;
    case cluster::Channel::kModule:
      if (auto module = cluster::decode_module(record)) {
        const std::string hash = engine::sha256_hex(module->wasm);
        if (hash != module->hash) break;  // bytes that are not what they claim to be
        std::lock_guard guard(mutex_);
        received_.try_emplace(
            hash, ReceivedModule{std::string(module->wasm.begin(), module->wasm.end()), nullptr});
        return;
      }
      break;
    case cluster::Channel::kSpawn:
      if (auto spawn = cluster::decode_spawn(record)) {
        if (compiled(spawn->module)) {
          // Instantiating a compiled module does not block: done here, without a hand-off.
          reply_to_spawn(from_node, *spawn);
          return;
        }
        {
          std::lock_guard guard(jobs_mutex_);
          jobs_.push_back({from_node, std::move(*spawn)});
        }
        jobs_ready_.notify_one();
        return;
      }
      break;
    case cluster::Channel::kSpawnReply:
      if (auto reply = cluster::decode_spawn_reply(record)) {
        complete(*reply);
        return;
      }
      break;
    case cluster::Channel::kSignal:
      if (auto signal = cluster::decode_signal(record)) {
        on_signal(*signal, from_node);
        return;
      }
      break;
    case cluster::Channel::kKill:
      if (auto kill = cluster::decode_kill(record)) {
        if (auto target = environment_.scheduler().find(kill->process)) {
          target->kill(fmt::format("killed by node {}", from_node));
        }
        return;
      }
      break;
  }
  environment_.log(LogLevel::kWarn,
                   fmt::format("node {} sent a malformed record on channel {}; ignored", from_node,
                               static_cast<int>(channel)));
}

void DistributedNode::on_node_down(std::uint64_t node) {
  RemoteEnds ends;
  {
    std::lock_guard guard(mutex_);
    shipped_.erase(node);  // a node that comes back has none of them
    connection_failures_.erase(node);
    for (auto& [request, pending] : pending_) {
      if (pending->node == node && !pending->done) {
        pending->finish({kConnectionError, 0,
                         fmt::format("node {} went down before it answered the spawn", node)});
      }
    }
    if (const auto found = remote_ends_.find(node); found != remote_ends_.end()) {
      ends = std::move(found->second);
      remote_ends_.erase(found);
    }
  }
  runtime::Scheduler& scheduler = environment_.scheduler();
  for (const auto& [ends_of, tag] : ends.links) {
    if (auto local = scheduler.find(ends_of.first))
      local->link_died(ends_of.second, tag, runtime::DeathReason::kNodeDown);
  }
  for (const auto& [watcher, remote] : ends.monitoring) {
    if (auto local = scheduler.find(watcher)) local->send(runtime::Message::process_died(remote));
  }
  for (const auto& [watched, remote] : ends.watched) {
    if (auto local = scheduler.find(watched)) local->remove_monitor(remote);
  }
}

void DistributedNode::on_connection_failed(std::uint64_t node, const std::string& reason) {
  std::lock_guard guard(mutex_);
  connection_failures_[node] = reason;
}

void DistributedNode::deliver(cluster::RemoteMessage record, std::uint64_t from_node) {
  auto receiver = environment_.scheduler().find(record.receiver);
  if (receiver != nullptr) {
    auto message = std::make_unique<runtime::Message>();
    message->tag = record.tag;
    message->data = std::move(record.data);
    if (receiver->send(std::move(message)) != runtime::Process::Delivery::kDead) return;
    // A full mailbox drops the message, as it does for a local sender; the sender is not told.
  }
  (void)cluster_.send(from_node, cluster::Channel::kNoProcess, 0,
                      encode(cluster::NoProcess{record.receiver}));
}

void DistributedNode::complete(const cluster::SpawnReply& reply) {
  std::lock_guard guard(mutex_);
  const auto found = pending_.find(reply.request);
  if (found == pending_.end() || found->second->done) return;  // timed out or killed meanwhile
  switch (reply.result) {
    case cluster::SpawnReply::Result::kSpawned:
      found->second->finish({kOk, reply.process, ""});
      break;
    case cluster::SpawnReply::Result::kNoSuchModule:
      shipped_[found->second->node].clear();  // it has lost them: ship again next time
      found->second->finish({kSpawnNoSuchModule, 0, "Module does not exist. " + reply.reason});
      break;
    case cluster::SpawnReply::Result::kRefused:
      found->second->finish({kFailed, 0, reply.reason});
      break;
  }
}

void DistributedNode::serve_spawns() {
  std::unique_lock lock(jobs_mutex_);
  while (true) {
    jobs_ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    SpawnJob job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    reply_to_spawn(job.from_node, job.request);
    lock.lock();
  }
}

bool DistributedNode::compiled(const std::string& module_hash) {
  std::lock_guard guard(mutex_);
  const auto found = received_.find(module_hash);
  return found != received_.end() && found->second.compiled != nullptr;
}

void DistributedNode::reply_to_spawn(std::uint64_t from_node,
                                     const cluster::SpawnRequest& request) {
  cluster::SpawnReply reply = run_spawn(request);
  reply.request = request.request;
  (void)cluster_.send(from_node, cluster::Channel::kSpawnReply, 0, encode(reply));
}

cluster::SpawnReply DistributedNode::run_spawn(const cluster::SpawnRequest& request) {
  using Result = cluster::SpawnReply::Result;
  std::shared_ptr<const engine::Module> module;
  std::string wasm;
  {
    std::lock_guard guard(mutex_);
    const auto found = received_.find(request.module);
    if (found == received_.end()) {
      return {0, Result::kNoSuchModule, 0,
              "node " + std::to_string(node_id()) + " has no module " + request.module};
    }
    module = found->second.compiled;
    if (!module) wasm = found->second.wasm;
  }
  if (!module) {
    // Compiled here, by this node's compiler, on this thread (never a worker's); the artifact
    // cache makes a later node start with the same module fast.
    auto loaded =
        environment_.engine().load_wasm(wasm, "remote-" + request.module.substr(0, 12), nullptr);
    if (!loaded) {
      return {
          0, Result::kRefused, 0,
          fmt::format("node {} could not load the module: {}", node_id(), loaded.error().message)};
    }
    module = *loaded;
    environment_.add_module_source(module, std::move(wasm));
    std::lock_guard guard(mutex_);
    received_[request.module].compiled = module;
  }
  auto config = decode_config(request.config, options_.grants);
  if (!config) {
    return {0, Result::kRefused, 0,
            fmt::format("node {} refused the spawn: {}", node_id(), config.error().message)};
  }
  SpawnRequest spawn;
  spawn.module = std::move(module);
  spawn.config = std::make_shared<const ProcessConfig>(std::move(*config));
  spawn.own_limits = spawn.config->subtree_limits();
  spawn.function = request.function;
  spawn.param_types = request.param_types;
  spawn.params = request.params;
  spawn.parent = request.parent;
  // Another node's process may not use this runtime's reserve, which keeps it manageable.
  spawn.spawner_privilege = Privilege::kNormal;
  auto id = environment_.spawn(std::move(spawn));
  if (!id) {
    return {0, Result::kRefused, 0,
            fmt::format("node {} could not spawn: {}", node_id(), id.error().message)};
  }
  return {0, Result::kSpawned, *id, ""};
}

void DistributedNode::remember_gone(std::uint64_t process_id) {
  std::lock_guard guard(mutex_);
  if (!gone_.insert(process_id).second) return;
  gone_order_.push_back(process_id);
  if (gone_order_.size() > kGoneRemembered) {
    gone_.erase(gone_order_.front());
    gone_order_.pop_front();
  }
}

}  // namespace lunatic::host
