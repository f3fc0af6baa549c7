# lunatic_add_guest(NAME SOURCES...): a wasm32-wasi program NAME.wasm built with the C++ guest SDK.
# Needs the toolchain in wasm32-wasi.cmake (beside this file).
if(NOT CMAKE_CXX_COMPILER_TARGET MATCHES "^wasm32")
  message(FATAL_ERROR "Lunatic guests need the wasm32-wasi toolchain: configure with "
                      "-DCMAKE_TOOLCHAIN_FILE=${CMAKE_CURRENT_LIST_DIR}/wasm32-wasi.cmake")
endif()

set(LUNATIC_SDK_INCLUDE_DIR "${CMAKE_CURRENT_LIST_DIR}/../include")

function(lunatic_add_guest name)
  if(ARGC LESS 2)
    message(FATAL_ERROR "lunatic_add_guest(${name}) needs at least one source file")
  endif()
  add_executable(${name} ${ARGN})
  target_include_directories(${name} PRIVATE "${LUNATIC_SDK_INCLUDE_DIR}")
  target_compile_features(${name} PRIVATE cxx_std_20)
  set_target_properties(${name} PROPERTIES SUFFIX ".wasm" CXX_EXTENSIONS OFF)
endfunction()
