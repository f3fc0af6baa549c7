// `--trace FILE` of `run` and `node`: opens the file before any guest runs (an unwritable path
// is an error then, not after the run), installs a runtime::TraceRecorder for the runtime's
// hooks, and writes the Chrome trace (host/chrome_trace_writer) when the runtime has stopped.
// Thread: the command's main thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "common/error.hpp"
#include "runtime/trace_recorder.hpp"

namespace lunatic::cli {

inline constexpr std::uint64_t kDefaultTraceLimit = 1'000'000;  // events
inline constexpr std::uint64_t kDefaultTraceMaxBytes = std::uint64_t{256} << 20;

struct TraceOptions {
  std::string path;  // empty: no trace
  std::uint64_t limit = kDefaultTraceLimit;
  std::uint64_t max_bytes = kDefaultTraceMaxBytes;
};

class TraceSession {
 public:
  // Opens (truncates) the file and starts recording.
  static Expected<std::unique_ptr<TraceSession>> start(const TraceOptions& options,
                                                       std::string process_name);
  ~TraceSession();  // stops recording
  TraceSession(const TraceSession&) = delete;
  TraceSession& operator=(const TraceSession&) = delete;

  // Stops recording and writes the file; says on stderr where, and how many events were
  // dropped. Call once the runtime's threads have stopped.
  void finish();

 private:
  TraceSession(const TraceOptions& options, std::string process_name, std::FILE* file);

  TraceOptions options_;
  std::string process_name_;
  std::FILE* file_;
  runtime::TraceRecorder recorder_;
};

}  // namespace lunatic::cli
