#include "cli/trace_session.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/core.h>

#include "cli/diagnostics.hpp"
#include "host/chrome_trace_writer.hpp"

namespace lunatic::cli {

Expected<std::unique_ptr<TraceSession>> TraceSession::start(const TraceOptions& options,
                                                            std::string process_name) {
  std::FILE* file = std::fopen(options.path.c_str(), "w");
  if (file == nullptr) {
    return make_error(Errc::kIo, fmt::format("--trace: cannot create {}: {}", options.path,
                                             std::strerror(errno)));
  }
  return std::unique_ptr<TraceSession>(new TraceSession(options, std::move(process_name), file));
}

TraceSession::TraceSession(const TraceOptions& options, std::string process_name, std::FILE* file)
    : options_(options),
      process_name_(std::move(process_name)),
      file_(file),
      recorder_(options.limit) {
  runtime::TraceRecorder::install(&recorder_);
}

TraceSession::~TraceSession() {
  runtime::TraceRecorder::install(nullptr);
  if (file_ != nullptr) std::fclose(file_);
}

void TraceSession::finish() {
  runtime::TraceRecorder::install(nullptr);
  const auto written = host::write_chrome_trace(recorder_, file_,
                                                {.process_name = process_name_,
                                                 .pid = static_cast<std::uint64_t>(::getpid()),
                                                 .max_bytes = options_.max_bytes});
  const int closed = std::fclose(std::exchange(file_, nullptr));
  if (!written) {
    print_error(options_.path + ": " + written.error().message);
    return;
  }
  if (closed != 0) {
    print_error(fmt::format("{}: cannot write the trace: {}", options_.path, std::strerror(errno)));
    return;
  }
  const std::uint64_t lost = written->events_dropped + written->events_left_out;
  fmt::print(stderr, "lunatic: trace of {} events written to {} ({} bytes){}\n",
             written->events_recorded - written->events_dropped, options_.path, written->bytes,
             lost == 0 ? std::string()
                       : fmt::format("; the oldest were left out: {} events over --trace-limit, {} "
                                     "trace entries over --trace-max-size",
                                     written->events_dropped, written->events_left_out));
}

}  // namespace lunatic::cli
