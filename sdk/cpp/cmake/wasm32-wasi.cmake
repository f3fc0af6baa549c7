# CMake toolchain for Lunatic guests: clang for wasm32-wasi with Debian's wasi-libc and libc++.
#   cmake -S . -B build -DCMAKE_TOOLCHAIN_FILE=<sdk>/cmake/wasm32-wasi.cmake
# then in CMakeLists.txt: include(<sdk>/cmake/LunaticGuest.cmake) and lunatic_add_guest(...).
set(CMAKE_SYSTEM_NAME Generic)  # CMake 3.25 has no WASI platform module
set(CMAKE_SYSTEM_PROCESSOR wasm32)

find_program(LUNATIC_GUEST_CLANG NAMES clang clang-14 REQUIRED)
find_program(LUNATIC_GUEST_CLANGXX NAMES clang++ clang++-14 REQUIRED)
set(CMAKE_C_COMPILER "${LUNATIC_GUEST_CLANG}")
set(CMAKE_CXX_COMPILER "${LUNATIC_GUEST_CLANGXX}")
set(CMAKE_C_COMPILER_TARGET wasm32-wasi)
set(CMAKE_CXX_COMPILER_TARGET wasm32-wasi)
set(CMAKE_EXECUTABLE_SUFFIX .wasm)
# Guests are built without exceptions: the SDK reports failures as lunatic::Result values.
# Bulk memory turns memcpy and memset into memory.copy and memory.fill, which the runtime runs
# as native memcpy/memset: a 1 KiB message through the SDK took 40% longer without it.
set(CMAKE_C_FLAGS_INIT "-mbulk-memory")
set(CMAKE_CXX_FLAGS_INIT "-fno-exceptions -mbulk-memory")
# The shadow stack below the data, so a stack overflow traps instead of overwriting globals.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,--stack-first")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
