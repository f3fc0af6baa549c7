#include "host/chrome_trace_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>
#include <vector>

#include "cluster/process_id.hpp"
#include "runtime/message.hpp"

namespace lunatic::host {
namespace {

using runtime::TraceEvent;
using runtime::TraceKind;

constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
// The track of what no process did. Perfetto keeps tids in 32 bits; process tracks stay below.
constexpr std::uint64_t kRuntimeTid = 0x7fffffff;

// One JSON event of the file, before it is rendered.
struct Record {
  enum class Type : std::uint8_t {
    kRunning,
    kWaiting,
    kDeliver,  // a slice on the runtime track for a send no process made, to bind its flow
    kInstant,  // the event's own kind says which
    kFlowStart,
    kFlowEnd,
  };
  Type type;
  std::int64_t ts;   // ns since the recorder started
  std::int64_t dur;  // slices
  std::uint64_t process;
  const TraceEvent* event = nullptr;  // kInstant, kDeliver, flows: what it came from
  std::uint64_t flow = 0;
  std::size_t flow_start = kNone;  // kFlowEnd: the index of its start
};

struct Track {
  std::optional<std::int64_t> running_since;
  std::optional<std::int64_t> parked_at;
  std::size_t spawn_flow = kNone;  // a spawn's flow start, ended by the child's first slice
  const TraceEvent* spawn = nullptr;
  const TraceEvent* exit = nullptr;
  std::vector<std::uint64_t> names;  // TraceStrings ids
};

class Builder {
 public:
  Builder(const std::vector<TraceEvent>& events, std::int64_t origin) : origin_(origin) {
    for (const TraceEvent& event : events) add(event);
    for (auto& [process, track] : tracks_) {
      // Still running or waiting when the trace ended.
      if (track.running_since) slice(Record::Type::kRunning, process, *track.running_since, last_);
      if (track.parked_at) slice(Record::Type::kWaiting, process, *track.parked_at, last_);
    }
  }

  std::vector<Record> records;
  std::map<std::uint64_t, Track> tracks_;
  std::int64_t last_ = 0;

 private:
  void add(const TraceEvent& event) {
    const std::int64_t ts = std::max<std::int64_t>(event.ts_ns - origin_, 0);
    last_ = std::max(last_, ts);
    Track& track = tracks_[event.process];
    switch (event.kind) {
      case TraceKind::kRun:
        if (track.running_since)
          slice(Record::Type::kRunning, event.process, *track.running_since,
                ts);  // its end was lost
        if (track.parked_at) slice(Record::Type::kWaiting, event.process, *track.parked_at, ts);
        track.parked_at.reset();
        track.running_since = ts;
        if (track.spawn_flow != kNone) {
          // Just inside the slice that begins here, which it binds to.
          flow_end(event.process, ts + 1, records[track.spawn_flow].event, track.spawn_flow);
          track.spawn_flow = kNone;
        }
        break;
      case TraceKind::kSuspend:
        // A slice whose beginning was dropped began no later than the trace (time 0).
        slice(Record::Type::kRunning, event.process, track.running_since.value_or(0), ts);
        track.running_since.reset();
        if (event.detail != 0) track.parked_at = ts;
        break;
      case TraceKind::kSend: {
        if (event.process == 0) {
          records.push_back({Record::Type::kDeliver, ts, 1, 0, &event});
        } else {
          records.push_back({Record::Type::kInstant, ts, 0, event.process, &event});
        }
        // A message address is in flight once: a new send from it means the last one was freed
        // unread (a dead receiver, a full mailbox, or a mailbox dropped at exit).
        in_flight_[event.key] = records.size();
        records.push_back({Record::Type::kFlowStart, ts, 0, event.process, &event, next_flow_++});
        break;
      }
      case TraceKind::kSendRemote:
        records.push_back({Record::Type::kInstant, ts, 0, event.process, &event});
        break;
      case TraceKind::kReceive: {
        records.push_back({Record::Type::kInstant, ts, 0, event.process, &event});
        if (auto found = in_flight_.find(event.key); found != in_flight_.end()) {
          flow_end(event.process, ts, &event, found->second);
          in_flight_.erase(found);
        }
        break;
      }
      case TraceKind::kSpawn:
        track.spawn = &event;
        records.push_back({Record::Type::kInstant, ts, 0, event.process, &event});
        // A parent on another node has no track here (and its id could fall on one).
        if (event.peer != 0 && cluster::node_of(event.peer) == cluster::node_of(event.process)) {
          track.spawn_flow = records.size();
          records.push_back({Record::Type::kFlowStart, ts, 0, event.peer, &event, next_flow_++});
        }
        break;
      case TraceKind::kExit:
        track.exit = &event;
        records.push_back({Record::Type::kInstant, ts, 0, event.process, &event});
        break;
      case TraceKind::kKill:
        records.push_back({Record::Type::kInstant, ts, 0, event.process, &event});
        break;
      case TraceKind::kName:
        track.names.push_back(event.key);
        break;
    }
  }

  void slice(Record::Type type, std::uint64_t process, std::int64_t from, std::int64_t to) {
    records.push_back({type, from, std::max<std::int64_t>(to - from, 0), process});
  }

  void flow_end(std::uint64_t process, std::int64_t ts, const TraceEvent* event,
                std::size_t start) {
    records.push_back({Record::Type::kFlowEnd, ts, 0, process, event, records[start].flow, start});
  }

  std::int64_t origin_;
  std::uint64_t next_flow_ = 1;
  std::unordered_map<std::uint64_t, std::size_t> in_flight_;
};

std::uint64_t tid_of(std::uint64_t process) {
  if (process == 0) return kRuntimeTid;
  const std::uint64_t local = process & ((std::uint64_t{1} << cluster::kLocalIdBits) - 1);
  return local % kRuntimeTid;
}

std::string json_text(std::string_view text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

const char* message_kind(std::uint8_t kind) {
  switch (static_cast<runtime::Message::Kind>(kind)) {
    case runtime::Message::Kind::kData:
      return "data";
    case runtime::Message::Kind::kLinkDied:
      return "link died";
    case runtime::Message::Kind::kProcessDied:
      return "process died";
  }
  return "unknown";
}

// Renders records; `strings` are the recorder's texts by id.
class Renderer {
 public:
  Renderer(const std::vector<std::string>& strings, std::uint64_t pid)
      : strings_(strings), pid_(pid) {}

  void record(fmt::memory_buffer& out, const Record& r) const {
    const TraceEvent* e = r.event;
    switch (r.type) {
      case Record::Type::kRunning:
        return slice(out, r, "running", "");
      case Record::Type::kWaiting:
        return slice(out, r, "waiting", "");
      case Record::Type::kDeliver:
        return slice(out, r, "send", message_args(*e, true));
      case Record::Type::kFlowStart:
      case Record::Type::kFlowEnd: {
        const bool spawn = e->kind == TraceKind::kSpawn;
        fmt::format_to(
            std::back_inserter(out),
            R"({{"ph":"{}","name":"{}","cat":"{}","id":{},"pid":{},"tid":{},"ts":{}{}}})",
            r.type == Record::Type::kFlowStart ? 's' : 'f', spawn ? "spawn" : "message",
            spawn ? "spawn" : "message", r.flow, pid_, tid_of(r.process), micros(r.ts),
            r.type == Record::Type::kFlowEnd ? R"(,"bp":"e")" : "");
        return;
      }
      case Record::Type::kInstant:
        return instant(out, r, *e);
    }
  }

  std::string text(std::uint64_t id) const {
    return id < strings_.size() ? strings_[id] : std::string();
  }

  static std::string micros(std::int64_t ns) {
    return fmt::format("{}.{:03}", ns / 1000, ns % 1000);
  }

  // "normal", "exit code 3", "trap", "killed".
  static std::string exit_reason(const TraceEvent& exit) {
    const auto kind = static_cast<engine::TrapKind>(exit.detail);
    if (kind == engine::TrapKind::kNone || (kind == engine::TrapKind::kExit && exit.value == 0)) {
      return "normal";
    }
    if (kind == engine::TrapKind::kExit) return fmt::format("exit code {}", exit.value);
    if (kind == engine::TrapKind::kKilled) return "killed";
    return "trap";
  }

  std::string exit_args(const TraceEvent& exit) const {
    std::string args = fmt::format(R"("reason":"{}")", exit_reason(exit));
    const auto kind = static_cast<engine::TrapKind>(exit.detail);
    if (exit_reason(exit) == "trap") {
      args += fmt::format(R"(,"trap":{})", json_text(engine::trap_kind_name(kind)));
    }
    if (exit.key != 0) args += fmt::format(R"(,"message":{})", json_text(text(exit.key)));
    return args;
  }

 private:
  void slice(fmt::memory_buffer& out, const Record& r, const char* name,
             const std::string& args) const {
    fmt::format_to(std::back_inserter(out),
                   R"({{"ph":"X","name":"{}","pid":{},"tid":{},"ts":{},"dur":{}{}{}{}}})", name,
                   pid_, tid_of(r.process), micros(r.ts), micros(r.dur),
                   args.empty() ? "" : R"(,"args":{)", args, args.empty() ? "" : "}");
  }

  std::string message_args(const TraceEvent& e, bool with_receiver) const {
    std::string args = with_receiver ? fmt::format(R"("to":{},)", e.peer) : std::string();
    args += fmt::format(R"("tag":{},"bytes":{})", e.value, e.size);
    if (e.detail != 0) args += fmt::format(R"(,"kind":"{}")", message_kind(e.detail));
    return args;
  }

  void instant(fmt::memory_buffer& out, const Record& r, const TraceEvent& e) const {
    const char* name = "";
    std::string args;
    switch (e.kind) {
      case TraceKind::kSend:
        name = "send";
        args = message_args(e, true);
        break;
      case TraceKind::kSendRemote:
        name = "send";
        args = fmt::format(R"("node":{},{})", e.key, message_args(e, true));
        break;
      case TraceKind::kReceive:
        name = "receive";
        args = message_args(e, false);
        break;
      case TraceKind::kSpawn:
        name = "spawn";
        args = fmt::format(R"("parent":{},"function":{})", e.peer, json_text(text(e.key)));
        break;
      case TraceKind::kExit:
        name = "exit";
        args = exit_args(e);
        break;
      case TraceKind::kKill:
        name = "kill";
        args = fmt::format(R"("by":{},"reason":{})", e.peer, json_text(text(e.key)));
        break;
      case TraceKind::kRun:
      case TraceKind::kSuspend:
      case TraceKind::kName:
        break;
    }
    fmt::format_to(std::back_inserter(out),
                   R"({{"ph":"i","s":"t","name":"{}","pid":{},"tid":{},"ts":{},"args":{{{}}}}})",
                   name, pid_, tid_of(r.process), micros(r.ts), args);
  }

  const std::vector<std::string>& strings_;
  std::uint64_t pid_;
};

// Writes through a buffer; remembers the first error.
class Output {
 public:
  explicit Output(std::FILE* file) : file_(file) {}
  fmt::memory_buffer& buffer() { return buffer_; }
  void flush_if_full() {
    if (buffer_.size() >= (1u << 16)) flush();
  }
  void flush() {
    if (buffer_.size() != 0 &&
        std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size() && error_ == 0) {
      error_ = errno != 0 ? errno : EIO;
    }
    bytes_ += buffer_.size();
    buffer_.clear();
  }
  int finish() {
    flush();
    if (std::fflush(file_) != 0 && error_ == 0) error_ = errno;
    return error_;
  }
  std::uint64_t bytes() const { return bytes_; }

 private:
  std::FILE* file_;
  fmt::memory_buffer buffer_;
  std::uint64_t bytes_ = 0;
  int error_ = 0;
};

}  // namespace

Expected<ChromeTraceSummary> write_chrome_trace(const runtime::TraceRecorder& recorder,
                                                std::FILE* out, const ChromeTraceOptions& options) {
  ChromeTraceSummary summary;
  summary.events_recorded = recorder.ring().pushed();
  std::vector<TraceEvent> events = recorder.ring().snapshot();
  summary.events_dropped = summary.events_recorded - events.size();
  // Tickets are taken after the clock is read: put the few that crossed back in time order.
  std::stable_sort(events.begin(), events.end(),
                   [](const TraceEvent& a, const TraceEvent& b) { return a.ts_ns < b.ts_ns; });
  const std::vector<std::string> strings = recorder.strings().all();
  // Times count from the oldest event kept.
  const Builder built(events, events.empty() ? 0 : events.front().ts_ns);
  const std::vector<Record>& records = built.records;
  const Renderer renderer(strings, options.pid);

  // The newest records that fit, with room kept for the metadata (about 300 bytes a track).
  const std::uint64_t reserve = 4096 + 300 * built.tracks_.size();
  const std::uint64_t budget = options.max_bytes > reserve ? options.max_bytes - reserve : 0;
  std::size_t cut = records.size();
  {
    std::uint64_t used = 0;
    fmt::memory_buffer scratch;
    while (cut > 0) {
      scratch.clear();
      renderer.record(scratch, records[cut - 1]);
      if (used + scratch.size() + 2 > budget) break;
      used += scratch.size() + 2;
      --cut;
    }
  }
  // What is left in: each process's first and last moment, for its life slice.
  struct Span {
    std::int64_t from = std::numeric_limits<std::int64_t>::max();
    std::int64_t to = 0;
  };
  std::map<std::uint64_t, Span> spans;
  std::size_t left_out = cut;
  for (std::size_t i = cut; i < records.size(); ++i) {
    const Record& r = records[i];
    if (r.type == Record::Type::kFlowEnd && r.flow_start < cut) {
      ++left_out;
      continue;
    }
    if (r.process == 0) continue;
    Span& span = spans[r.process];
    span.from = std::min(span.from, r.ts);
    span.to = std::max(span.to, r.ts + r.dur);
  }
  summary.events_left_out = left_out;

  Output output(out);
  auto& buffer = output.buffer();
  auto put = std::back_inserter(buffer);
  fmt::format_to(put,
                 R"({{"displayTimeUnit":"ns","otherData":{{"recorder":"lunatic --trace",)"
                 R"("events_recorded":{},"events_dropped":{},"events_left_out":{},)"
                 R"("ring_capacity":{},"max_bytes":{}}},)"
                 "\n\"traceEvents\":[\n",
                 summary.events_recorded, summary.events_dropped, left_out,
                 recorder.ring().capacity(), options.max_bytes);
  fmt::format_to(put, R"({{"ph":"M","name":"process_name","pid":{},"args":{{"name":{}}}}})",
                 options.pid, json_text(options.process_name));
  fmt::format_to(
      put,
      ",\n"
      R"({{"ph":"M","name":"thread_name","pid":{},"tid":{},"args":{{"name":"runtime"}}}})",
      options.pid, kRuntimeTid);
  if (summary.events_dropped + left_out != 0) {
    fmt::format_to(
        put,
        ",\n"
        R"({{"ph":"i","s":"g","name":"older events dropped","pid":{},"tid":{},"ts":0.000,)"
        R"("args":{{"ring":{},"size":{}}}}})",
        options.pid, kRuntimeTid, summary.events_dropped, left_out);
  }
  for (const auto& [process, span] : spans) {
    static const Track kUnseen;  // a parent seen only through its spawn's flow
    const auto found = built.tracks_.find(process);
    const Track& track = found != built.tracks_.end() ? found->second : kUnseen;
    std::string name = fmt::format("process {}", process);
    if (track.spawn != nullptr && track.spawn->key != 0) {
      name += " " + renderer.text(track.spawn->key);
    }
    for (std::uint64_t id : track.names) name += " [" + renderer.text(id) + "]";
    const std::uint64_t tid = tid_of(process);
    fmt::format_to(
        put,
        ",\n"
        R"({{"ph":"M","name":"thread_name","pid":{},"tid":{},"args":{{"name":{}}}}})"
        ",\n"
        R"({{"ph":"M","name":"thread_sort_index","pid":{},"tid":{},"args":{{"sort_index":{}}}}})",
        options.pid, tid, json_text(name), options.pid, tid, tid);
    std::string args = fmt::format(R"("id":{})", process);
    if (track.spawn != nullptr) args += fmt::format(R"(,"parent":{})", track.spawn->peer);
    if (track.exit != nullptr) args += "," + renderer.exit_args(*track.exit);
    fmt::format_to(put,
                   ",\n"
                   R"({{"ph":"X","name":{},"pid":{},"tid":{},"ts":{},"dur":{},"args":{{{}}}}})",
                   json_text(fmt::format("process {}", process)), options.pid, tid,
                   Renderer::micros(span.from),
                   Renderer::micros(std::max<std::int64_t>(span.to - span.from, 0)), args);
  }
  for (std::size_t i = cut; i < records.size(); ++i) {
    const Record& r = records[i];
    if (r.type == Record::Type::kFlowEnd && r.flow_start < cut) continue;
    buffer.append(std::string_view(",\n"));
    renderer.record(buffer, r);
    output.flush_if_full();
  }
  buffer.append(std::string_view("\n]}\n"));
  if (const int error = output.finish(); error != 0) {
    return make_error(Errc::kIo, fmt::format("cannot write the trace: {}", std::strerror(error)));
  }
  summary.bytes = output.bytes();
  return summary;
}

}  // namespace lunatic::host
