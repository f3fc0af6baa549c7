// The one place where host errno values become WASI errno values.
#pragma once

#include "wasi/wasi_types.hpp"

namespace lunatic::wasi {

// Returns: the WASI errno for a Linux errno value; EIO for values WASI has no name for, and
// kSuccess only for 0.
Errno errno_from_host(int host_errno);

// Returns: the WASI errno of a host call that returned `rc` (0, or -1 with errno set).
Errno errno_of_call(int rc);

// Returns: the WASI errno for a failure of sandboxed path resolution (openat2 with
// RESOLVE_BENEATH). Identical to errno_from_host except that EXDEV, which is how the kernel
// reports an attempt to leave the directory, becomes ENOTCAPABLE (as in wasmtime).
Errno errno_from_resolve(int host_errno);

// Returns: the witx name of `e` ("badf", "notcapable", ...), or "unknown".
const char* errno_name(Errno e);

}  // namespace lunatic::wasi
