// Writes what a runtime::TraceRecorder holds as a Chrome trace-event JSON file (the "JSON
// object format" that Perfetto, ui.perfetto.dev, and chrome://tracing open).
//
// One track (tid) per process under one pid for the runtime, named "process <id>" and the
// function it was spawned with (and names it was registered under); a "runtime" track for
// what no process did (timers, other nodes, signals of dead processes). On each process's
// track: its life as a slice from spawn to its last event, within it "running" and "waiting"
// slices, and instant events spawn, send, receive, kill and exit (with the reason: normal,
// exit code, trap kind and message, killed). Sends and receives of one message are joined by a
// flow arrow (events "s" and "f" with one id, bound to the enclosing slices), and so are a
// spawn and the child's first slice.
//
// Bounded: the ring kept the newest events; the file also stays under `max_bytes` by leaving
// out the oldest events that do not fit. Both counts go into the file's "otherData".
// Thread: call when the recorder's writers have stopped (events pushed meanwhile may be missed).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "common/error.hpp"
#include "runtime/trace_recorder.hpp"

namespace lunatic::host {

struct ChromeTraceOptions {
  std::string process_name = "lunatic";  // the runtime's track group
  std::uint64_t pid = 1;                 // its pid in the file (the OS process's, say)
  std::uint64_t max_bytes = std::uint64_t{256} << 20;
};

struct ChromeTraceSummary {
  std::uint64_t events_recorded = 0;  // pushed to the ring over the run
  std::uint64_t events_dropped = 0;   // overwritten in the ring (the oldest)
  std::uint64_t events_left_out = 0;  // kept, but over max_bytes (the oldest of the rest)
  std::uint64_t bytes = 0;            // written
};

Expected<ChromeTraceSummary> write_chrome_trace(const runtime::TraceRecorder& recorder,
                                                std::FILE* out, const ChromeTraceOptions& options);

}  // namespace lunatic::host
