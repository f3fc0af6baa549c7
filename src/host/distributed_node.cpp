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
  spawns_ = std::make_unique<JobThread>();
  upgrades_ = std::make_unique<JobThread>();
  environment_.scheduler().set_remote_peers(this);
  cluster_.set_handler(this);
}

DistributedNode::~DistributedNode() {
  cluster_.set_handler(nullptr);
  environment_.scheduler().set_remote_peers(nullptr);
  spawns_.reset();
  upgrades_.reset();
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
  {
    std::lock_guard guard(mutex_);
    record.request = next_request_++;
    pending_.emplace(record.request, pending);
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
  if (!ship(node, *source)) {
    return {kConnectionError, 0, fmt::format("cannot send the module to node {}", node)};
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
        spawns_->post(
            [this, from_node, request = std::move(*spawn)] { reply_to_spawn(from_node, request); });
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
    case cluster::Channel::kUpgrade:
      if (auto upgrade = cluster::decode_upgrade(record)) {
        upgrades_->post(
            [this, from_node, request = std::move(*upgrade)] { run_upgrade(from_node, request); });
        return;
      }
      break;
    case cluster::Channel::kUpgradeReply:
      if (auto reply = cluster::decode_upgrade_reply(record)) {
        std::lock_guard guard(mutex_);
        const auto waiting = upgrade_replies_.find(reply->request);
        if (waiting != upgrade_replies_.end()) waiting->second = std::move(*reply);
        upgrade_answered_.notify_all();
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

Expected<std::shared_ptr<const engine::Module>> DistributedNode::received_module(
    const std::string& hash) {
  std::string wasm;
  {
    std::lock_guard guard(mutex_);
    const auto found = received_.find(hash);
    if (found == received_.end()) {
      return make_error(Errc::kInvalidArgument,
                        "node " + std::to_string(node_id()) + " has no module " + hash);
    }
    if (found->second.compiled) return found->second.compiled;
    wasm = found->second.wasm;
  }
  // Compiled here, by this node's compiler, on the calling thread (never a worker's); the
  // artifact cache makes a later node start with the same module fast.
  auto loaded = environment_.engine().load_wasm(wasm, "remote-" + hash.substr(0, 12), nullptr);
  if (!loaded) {
    return make_error(loaded.error().code, fmt::format("node {} could not load the module: {}",
                                                       node_id(), loaded.error().message));
  }
  environment_.add_module_source(*loaded, std::move(wasm));
  std::lock_guard guard(mutex_);
  return received_[hash].compiled = *loaded;
}

cluster::SpawnReply DistributedNode::run_spawn(const cluster::SpawnRequest& request) {
  using Result = cluster::SpawnReply::Result;
  auto module = received_module(request.module);
  if (!module) {
    const bool missing = module.error().code == Errc::kInvalidArgument;
    return {0, missing ? Result::kNoSuchModule : Result::kRefused, 0, module.error().message};
  }
  auto config = decode_config(request.config, options_.grants);
  if (!config) {
    return {0, Result::kRefused, 0,
            fmt::format("node {} refused the spawn: {}", node_id(), config.error().message)};
  }
  SpawnRequest spawn;
  spawn.module = std::move(*module);
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

void DistributedNode::run_upgrade(std::uint64_t from_node, const cluster::UpgradeRequest& request) {
  cluster::UpgradeReply reply;
  reply.request = request.request;
  auto to = received_module(request.to);
  std::shared_ptr<const engine::Module> from;
  {
    std::lock_guard guard(mutex_);
    if (const auto found = received_.find(request.from); found != received_.end()) {
      from = found->second.compiled;
    }
  }
  if (!to) {
    reply.refused = to.error().message;
  } else if (from != nullptr) {  // else no process here was ever spawned from it
    UpgradeOptions options;
    options.purge = request.purge;
    options.restart = request.restart;
    options.deadline = runtime::Clock::now() + std::chrono::milliseconds(request.timeout_ms);
    auto report =
        upgrade_processes(environment_, processes_running(*from, environment_.scheduler()), from,
                          *to, options, /*waiter=*/nullptr);
    if (!report) {
      reply.refused = report.error().message;
    } else {
      reply.upgraded = report->upgraded;
      reply.failed = report->failed;
      reply.timed_out = report->timed_out;
      reply.restarted = report->restarted;
      reply.purged = report->purged;
      if (!report->failures.empty()) reply.first_failure = report->failures.front();
    }
  }
  (void)cluster_.send(from_node, cluster::Channel::kUpgradeReply, 0, encode(reply));
}

bool DistributedNode::ship(std::uint64_t node, const Environment::ModuleSource& module) {
  {
    std::lock_guard guard(mutex_);
    if (!shipped_[node].insert(module.hash).second) return true;
  }
  cluster::ModuleBytes bytes{module.hash, {module.wasm->begin(), module.wasm->end()}};
  if (cluster_.send(node, cluster::Channel::kModule, 0, encode(bytes))) return true;
  std::lock_guard guard(mutex_);
  shipped_[node].erase(module.hash);
  return false;
}

std::vector<NodeUpgrade> DistributedNode::upgrade_other_nodes(const std::string& from_hash,
                                                              const Environment::ModuleSource& to,
                                                              const UpgradeOptions& options,
                                                              std::chrono::milliseconds timeout) {
  // Each node compiles the new module before it asks its processes: allow for that.
  constexpr auto kCompileAllowance = std::chrono::minutes(2);
  cluster::UpgradeRequest request;
  request.from = from_hash;
  request.to = to.hash;
  request.purge = options.purge;
  request.restart = options.restart;
  request.timeout_ms = static_cast<std::uint64_t>(std::max<std::int64_t>(timeout.count(), 0));
  std::vector<NodeUpgrade> answers;
  std::vector<std::uint64_t> requests;
  for (const cluster::NodeInfo& info : cluster_.nodes()) {
    if (info.id == node_id()) continue;
    NodeUpgrade& answer = answers.emplace_back();
    answer.node = info.id;
    {
      std::lock_guard guard(mutex_);
      request.request = next_request_++;
      upgrade_replies_.emplace(request.request, std::nullopt);
    }
    requests.push_back(request.request);
    // Modules and upgrades share stream 0, so the bytes arrive before the upgrade needs them.
    if (ship(info.id, to)) {
      (void)cluster_.send(info.id, cluster::Channel::kUpgrade, 0, encode(request));
    }
  }
  const auto deadline = runtime::Clock::now() + timeout + kCompileAllowance;
  std::unique_lock lock(mutex_);
  upgrade_answered_.wait_until(lock, deadline, [&] {
    for (std::uint64_t number : requests) {
      if (!upgrade_replies_[number]) return false;
    }
    return true;
  });
  for (std::size_t i = 0; i < answers.size(); ++i) {
    auto& reply = upgrade_replies_[requests[i]];
    if (reply) {
      answers[i].answered = true;
      answers[i].reply = std::move(*reply);
    }
    upgrade_replies_.erase(requests[i]);
  }
  return answers;
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
