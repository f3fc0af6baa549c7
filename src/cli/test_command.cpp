#include "cli/test_command.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>

#include <fmt/core.h>

#include "cli/diagnostics.hpp"
#include "cli/engine_options.hpp"
#include "cli/preopen_option.hpp"
#include "engine/engine.hpp"
#include "engine/memory/linear_memory.hpp"
#include "engine/module.hpp"
#include "host/environment.hpp"
#include "host/host_imports.hpp"
#include "host/output_capture.hpp"
#include "host/runtime_limits.hpp"
#include "runtime/scheduler.hpp"
#include "wasi/preopen_grant.hpp"

extern char** environ;

namespace lunatic::cli {
namespace {

constexpr std::string_view kTestPrefix = "#lunatic_test_";
constexpr std::string_view kIgnoredPrefix = "#ignore_";
constexpr std::string_view kPanicPrefix = "#panic_";

// libtest's colours, as Lunatic prints them.
constexpr const char* kGreenOk = "\x1b[92mok\x1b[0m";
constexpr const char* kRedFailed = "\x1b[91mFAILED\x1b[0m";
constexpr const char* kYellowIgnored = "\x1b[93mignored\x1b[0m";

struct TestCase {
  std::string export_name;
  std::string name;
  std::optional<std::string> expected_panic;  // set: a should-panic test
  bool ignored = false;
};

// Decodes an export name as lunatic-rs writes it:
//   #lunatic_test_[#ignore_][#panic_<expected, '#' escaped as '\#'>#]<name>
std::optional<TestCase> parse_export(std::string_view export_name) {
  if (!export_name.starts_with(kTestPrefix)) return std::nullopt;
  TestCase test;
  test.export_name = export_name;
  std::string_view rest = export_name.substr(kTestPrefix.size());
  if (rest.starts_with(kIgnoredPrefix)) {
    test.ignored = true;
    rest.remove_prefix(kIgnoredPrefix.size());
  }
  if (rest.starts_with(kPanicPrefix)) {
    rest.remove_prefix(kPanicPrefix.size());
    std::string expected;
    std::size_t i = 0;
    for (; i < rest.size(); ++i) {
      if (rest[i] == '\\' && i + 1 < rest.size() && rest[i + 1] == '#') {
        expected += '#';
        ++i;
      } else if (rest[i] == '#') {
        break;
      } else {
        expected += rest[i];
      }
    }
    rest.remove_prefix(std::min(i + 1, rest.size()));
    test.expected_panic = std::move(expected);
  }
  test.name = rest;
  return test;
}

// The message of a Rust panic in a test's output: "thread 'x' panicked at 'msg', file:l:c"
// (Rust before 1.73, which Lunatic matches) or "thread 'x' panicked at file:l:c:\nmsg" (later).
std::optional<std::string> panic_message(const std::string& output) {
  static const std::regex old_style(R"(thread '[^']*' panicked at '([\s\S]*?)', )");
  static const std::regex new_style(R"(thread '[^']*' panicked at [^\n]*:\n([^\n]*))");
  std::smatch match;
  if (std::regex_search(output, match, old_style)) return match[1].str();
  if (std::regex_search(output, match, new_style)) return match[1].str();
  return std::nullopt;
}

enum class Verdict { kOk, kFailed, kPanicOk, kPanicFailed, kIgnored };

struct Outcome {
  Verdict status = Verdict::kFailed;
  std::string output;
};

// What a test's end means, as Lunatic's test mode judges it.
Outcome judge(const TestCase& test, const engine::CallOutcome& outcome, std::string output,
              bool nocapture) {
  const bool normal =
      outcome.ok() || (outcome.kind == engine::TrapKind::kExit && outcome.exit_code == 0);
  if (normal) {
    if (!test.expected_panic) return {Verdict::kOk, std::move(output)};
    output += "note: test did not panic as expected\n";
    return {Verdict::kPanicFailed, std::move(output)};
  }
  const auto panic = panic_message(output);
  if (!test.expected_panic) {
    if (!panic && !nocapture) output += "note: Process trapped or received kill signal\n";
    return {Verdict::kFailed, std::move(output)};
  }
  if (!panic) {
    if (test.expected_panic->empty()) return {Verdict::kPanicOk, std::move(output)};
    output +=
        fmt::format("note: Process received kill signal, but expected a panic that contains `{}`\n",
                    *test.expected_panic);
    return {Verdict::kPanicFailed, std::move(output)};
  }
  if (panic->find(*test.expected_panic) != std::string::npos)
    return {Verdict::kPanicOk, std::move(output)};
  output += fmt::format(
      "note: panic did not contain expected string\n      panic message: `\"{}\"`,\n expected "
      "substring: `\"{}\"`\n",
      *panic, *test.expected_panic);
  return {Verdict::kPanicFailed, std::move(output)};
}

// The test processes' config: Lunatic's test mode gives them every permission, the guest
// arguments, the host's environment and the current directory besides any --dir.
Expected<host::ProcessConfig> test_config(const TestOptions& options) {
  host::ProcessConfig config;
  config.can_compile_modules = true;
  config.can_create_configs = true;
  config.can_spawn_processes = true;
  config.max_memory = engine::kMaxWasmPages * engine::kWasmPageSize;  // no limit below wasm32's
  config.args.push_back(options.module_path);
  config.args.insert(config.args.end(), options.args.begin(), options.args.end());
  for (char** variable = environ; variable != nullptr && *variable != nullptr; ++variable) {
    const std::string entry = *variable;
    const std::size_t eq = entry.find('=');
    if (eq != std::string::npos && eq > 0)
      config.env.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
  }
  auto current = wasi::open_preopen(".", ".");
  if (!current) return current.error();
  config.preopened_dirs.push_back(std::move(*current));
  for (const auto& dir : options.dirs) {
    auto preopen = parse_preopen(dir);
    if (!preopen) return preopen.error();
    config.preopened_dirs.push_back(std::move(*preopen));
  }
  return config;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int test_command(const TestOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.list && !options.format.empty() && options.format != "terse") {
    fmt::print(stderr, "error: argument for --format must be terse (was {})\n", options.format);
    return 1;
  }
  auto config = test_config(options);
  if (!config) {
    print_error(config.error().message);
    return 1;
  }
  auto engine_options = cli::engine_options(engine::MemoryMode::kAuto);
  if (!engine_options) {
    print_error(engine_options.error().message);
    return 1;
  }
  engine::Engine engine(*engine_options, host::host_imports());
  engine::LoadReport report;
  auto module = engine.load_file(options.module_path, &report);
  for (const auto& warning : report.warnings) print_warning(warning);
  if (!module) {
    print_error(module.error());
    return 1;
  }

  // Every exported test, in export order; a test the filter or --ignored leaves out counts as
  // filtered out.
  std::vector<TestCase> tests;
  std::size_t filtered_out = 0;
  for (const auto& exported : (*module)->description().exports) {
    if (exported.kind != engine::ExternKind::kFunction) continue;
    auto test = parse_export(exported.name);
    if (!test) continue;
    const bool matches = options.exact ? test->name == options.filter
                                       : test->name.find(options.filter) != std::string::npos;
    if (!matches || (options.ignored && !test->ignored)) {
      ++filtered_out;
      continue;
    }
    if (options.ignored) test->ignored = false;
    tests.push_back(std::move(*test));
  }

  if (options.list) {
    for (const auto& test : tests) fmt::print("{}: test\n", test.name);
    return 0;
  }
  fmt::print("\nrunning {} {}\n", tests.size(), tests.size() == 1 ? "test" : "tests");
  std::fflush(stdout);

  runtime::Scheduler scheduler(
      options.workers != 0 ? options.workers : std::max(1u, std::thread::hardware_concurrency()));
  auto shared_config = std::make_shared<const host::ProcessConfig>(std::move(*config));
  // Each test has an environment of its own (its own registry, and the default limits of
  // `lunatic run`), as in Lunatic; failures are judged from the outcome and the output, so the
  // runtime does not log them.
  std::vector<std::unique_ptr<host::Environment>> environments;
  std::vector<std::shared_ptr<host::OutputCapture>> captures(tests.size());
  std::vector<std::optional<engine::CallOutcome>> outcomes(tests.size());
  std::mutex mutex;
  std::size_t running = 0;
  std::vector<std::string> spawn_errors(tests.size());
  for (std::size_t i = 0; i < tests.size(); ++i) {
    if (tests[i].ignored) continue;
    if (!options.nocapture) {
      auto capture = host::OutputCapture::create();
      if (!capture) {
        print_error(capture.error().message);
        return 1;
      }
      captures[i] = *capture;
    }
    environments.push_back(
        std::make_unique<host::Environment>(engine, scheduler, host::LogLevel::kError,
                                            host::runtime_limits(std::nullopt, std::nullopt)));
    host::SpawnRequest request;
    request.module = *module;
    request.config = shared_config;
    request.function = tests[i].export_name;
    request.output = captures[i];
    request.on_exit = [&, i](const host::ProcessExit& exit) {
      std::lock_guard guard(mutex);
      outcomes[i] = exit.outcome;
      if (--running == 0) scheduler.stop();  // every test has ended; what they spawned goes too
    };
    {
      std::lock_guard guard(mutex);
      ++running;
    }
    if (auto spawned = environments.back()->spawn(std::move(request)); !spawned) {
      std::lock_guard guard(mutex);
      --running;
      spawn_errors[i] = spawned.error().message;
    }
  }
  bool any_running;
  {
    std::lock_guard guard(mutex);
    any_running = running > 0;
  }
  if (any_running) scheduler.run();

  // Results in test order (Lunatic prints them as they finish; the order is not part of the
  // format).
  std::vector<std::pair<std::string, std::string>> successes, failures;
  std::size_t ignored = 0;
  for (std::size_t i = 0; i < tests.size(); ++i) {
    const TestCase& test = tests[i];
    if (test.ignored) {
      fmt::print("test {} ... {}\n", test.name, kYellowIgnored);
      ++ignored;
      continue;
    }
    std::string output = captures[i] ? captures[i]->read() : std::string();
    Outcome result;
    if (outcomes[i]) {
      result = judge(test, *outcomes[i], std::move(output), options.nocapture);
    } else {
      output += spawn_errors[i].empty()
                    ? "note: the test never ended: every process waits for something nothing can "
                      "provide\n"
                    : "note: the test could not start: " + spawn_errors[i] + "\n";
      result = {test.expected_panic ? Verdict::kPanicFailed : Verdict::kFailed, std::move(output)};
    }
    const char* should_panic = test.expected_panic ? " - should panic" : "";
    const bool ok = result.status == Verdict::kOk || result.status == Verdict::kPanicOk;
    fmt::print("test {}{} ... {}\n", test.name, should_panic, ok ? kGreenOk : kRedFailed);
    (ok ? successes : failures).emplace_back(test.name, std::move(result.output));
  }

  if (options.show_output) {
    fmt::print("\nsuccesses:\n");
    for (const auto& [name, output] : successes) {
      if (!output.empty()) fmt::print("\n---- {} stdout ----\n{}", name, output);
    }
    fmt::print("\nsuccesses:\n");
    for (const auto& success : successes) fmt::print("    {}\n", success.first);
  }
  if (!failures.empty()) fmt::print("\nfailures:\n");
  for (const auto& [name, output] : failures) {
    if (!output.empty()) fmt::print("\n---- {} stdout ----\n{}", name, output);
  }
  if (!failures.empty()) fmt::print("\nfailures:\n");
  for (const auto& failure : failures) fmt::print("    {}\n", failure.first);
  fmt::print(
      "\ntest result: {}. {} passed; {} failed; {} ignored; 0 measured; {} filtered out; finished "
      "in {:.2f}s\n\n",
      failures.empty() ? kGreenOk : kRedFailed, successes.size(), failures.size(), ignored,
      filtered_out, seconds_since(start));
  std::fflush(stdout);
  return failures.empty() ? 0 : 1;
}

}  // namespace lunatic::cli
