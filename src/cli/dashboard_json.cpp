#include "cli/dashboard_json.hpp"

#include <charconv>
#include <nlohmann/json.hpp>
#include <string_view>

namespace lunatic::cli {
namespace {

const char* status_name(runtime::ProcessStatus status) {
  switch (status) {
    case runtime::ProcessStatus::kRunnable:
      return "runnable";
    case runtime::ProcessStatus::kWaitingMessage:
      return "waiting for a message";
    case runtime::ProcessStatus::kWaitingTimer:
      return "sleeping";
    case runtime::ProcessStatus::kWaitingIo:
      return "waiting for I/O";
    case runtime::ProcessStatus::kFinished:
      return "finished";
  }
  return "unknown";
}

// A JSON string. Guests choose registered names: bytes that are no UTF-8 become U+FFFD, never
// a failure.
std::string json_string(std::string_view text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  Writer& raw(std::string_view text) {
    out_ += text;
    return *this;
  }
  // `"key":` (keys are ours: plain ASCII, nothing to escape).
  Writer& key(std::string_view name) {
    out_ += '"';
    out_ += name;
    out_ += "\":";
    return *this;
  }
  Writer& number(std::uint64_t value) {
    char digits[20];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out_.append(digits, end);
    return *this;
  }
  Writer& boolean(bool value) { return raw(value ? "true" : "false"); }
  Writer& id(std::uint64_t value) {
    out_ += '"';
    number(value);
    out_ += '"';
    return *this;
  }
  Writer& ids(const std::vector<std::uint64_t>& values) {
    out_ += '[';
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out_ += ',';
      id(values[i]);
    }
    out_ += ']';
    return *this;
  }

 private:
  std::string& out_;
};

// One process, with its module label already a JSON string (shared by most processes).
void append_process(std::string& out, const host::ProcessView& process,
                    std::string_view module_json) {
  const runtime::ProcessInfo& info = process.info;
  Writer w(out);
  w.raw("{").key("id").id(info.id);
  w.raw(",").key("parent").id(info.parent);
  w.raw(",").key("module").raw(module_json);
  w.raw(",").key("status").raw("\"").raw(status_name(info.status)).raw("\"");
  w.raw(",").key("kill_pending").boolean(info.kill_pending);
  w.raw(",").key("mailbox_messages").number(info.mailbox_messages);
  w.raw(",").key("mailbox_bytes").number(info.mailbox_bytes);
  w.raw(",").key("memory_bytes").number(info.memory_bytes);
  w.raw(",").key("cpu_ns").number(info.cpu_ns);
  w.raw(",").key("links").ids(info.links);
  w.raw(",").key("monitored_by").ids(info.monitored_by);
  w.raw(",").key("names").raw("[");
  for (std::size_t i = 0; i < process.names.size(); ++i) {
    if (i > 0) w.raw(",");
    w.raw(json_string(process.names[i]));
  }
  w.raw("]}");
}

}  // namespace

std::string process_json(const host::ProcessView& process) {
  std::string out;
  append_process(out, process, json_string(process.module));
  return out;
}

std::string snapshot_json(const host::RuntimeSnapshot& snapshot, bool allow_kill,
                          std::uint64_t time_ms) {
  std::string out;
  // About 230 bytes a process: one allocation for most snapshots.
  out.reserve(512 + snapshot.processes.size() * 256);
  Writer w(out);
  w.raw("{").key("time_ms").number(time_ms);
  w.raw(",").key("allow_kill").boolean(allow_kill);
  w.raw(",").key("cpu_sampling").boolean(snapshot.cpu_sampling);
  w.raw(",").key("process_count").number(snapshot.process_count);
  w.raw(",").key("processes").raw("[");
  std::uint64_t mailbox_messages = 0;
  std::uint64_t memory_bytes = 0;
  std::string module;  // the last label seen, and its JSON
  std::string module_json;
  for (std::size_t i = 0; i < snapshot.processes.size(); ++i) {
    const host::ProcessView& process = snapshot.processes[i];
    if (i == 0 || process.module != module) {
      module = process.module;
      module_json = json_string(module);
    }
    if (i > 0) w.raw(",");
    append_process(out, process, module_json);
    mailbox_messages += process.info.mailbox_messages;
    memory_bytes += process.info.memory_bytes;
  }
  // Totals over the processes shown.
  w.raw("],").key("totals").raw("{").key("mailbox_messages").number(mailbox_messages);
  w.raw(",").key("memory_bytes").number(memory_bytes).raw("}");
  w.raw(",").key("workers").raw("[");
  for (std::size_t i = 0; i < snapshot.workers.size(); ++i) {
    if (i > 0) w.raw(",");
    w.raw("{").key("queued").number(snapshot.workers[i].queued);
    w.raw(",").key("busy_ns").number(snapshot.workers[i].busy_ns).raw("}");
  }
  w.raw("],").key("nodes").raw("[");
  for (std::size_t i = 0; i < snapshot.nodes.size(); ++i) {
    const host::NodeView& node = snapshot.nodes[i];
    if (i > 0) w.raw(",");
    w.raw("{").key("id").id(node.id);
    w.raw(",").key("name").raw(json_string(node.name));
    w.raw(",").key("address").raw(json_string(node.address));
    w.raw(",").key("self").boolean(node.self);
    w.raw(",").key("round_trip_ns").number(node.round_trip_ns).raw("}");
  }
  w.raw("]}");
  return out;
}

}  // namespace lunatic::cli
