// The parts of the wasi_snapshot_preview1 table, one per file. Internal to src/wasi.
#pragma once

#include <vector>

#include "host/host_function.hpp"

namespace lunatic::wasi {

inline constexpr host::ImportName kPreview1Module{"wasi_snapshot_preview1"};

std::vector<engine::ImportFunction> preview1_args_env_clock_functions();
std::vector<engine::ImportFunction> preview1_fd_functions();
std::vector<engine::ImportFunction> preview1_path_functions();
std::vector<engine::ImportFunction> preview1_poll_functions();
std::vector<engine::ImportFunction> preview1_proc_sock_functions();

}  // namespace lunatic::wasi
