// wasi_snapshot_preview1: the whole table, assembled from one part per file
// (preview1_args_env_clock.cpp, preview1_fd.cpp, preview1_path.cpp, preview1_poll.cpp,
// preview1_proc_sock.cpp). See docs/wasi.md.
#include "host/wasi/preview1.hpp"

#include "host/wasi/preview1_parts.hpp"

namespace lunatic::wasi {

std::vector<engine::ImportFunction> preview1_functions() {
  std::vector<engine::ImportFunction> all;
  for (auto part :
       {preview1_args_env_clock_functions, preview1_fd_functions, preview1_path_functions,
        preview1_poll_functions, preview1_proc_sock_functions}) {
    auto functions = part();
    for (auto& function : functions) all.push_back(std::move(function));
  }
  return all;
}

}  // namespace lunatic::wasi
