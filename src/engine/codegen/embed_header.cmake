# Turns the generated-code runtime header into a C++ string constant.
file(READ ${INPUT} CONTENT)
file(WRITE ${OUTPUT} "// Generated from wasm-rt.h by embed_header.cmake; do not edit.\n")
file(APPEND ${OUTPUT} "namespace lunatic::engine {\nextern const char kWasmRtHeader[];\n")
file(APPEND ${OUTPUT} "const char kWasmRtHeader[] = R\"LUNATIC_EMBED(${CONTENT})LUNATIC_EMBED\";\n}\n")
