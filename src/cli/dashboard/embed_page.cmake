# Turns the dashboard's page into a C++ string constant (cli/dashboard_server.cpp).
file(READ ${INPUT} CONTENT)
string(FIND "${CONTENT}" ")LUNATIC_EMBED" CLASH)
if(NOT CLASH EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string's delimiter )LUNATIC_EMBED")
endif()
file(WRITE ${OUTPUT} "// Generated from dashboard.html by embed_page.cmake; do not edit.\n")
file(APPEND ${OUTPUT} "namespace lunatic::cli {\nextern const char kDashboardPage[];\n")
file(APPEND ${OUTPUT} "const char kDashboardPage[] = R\"LUNATIC_EMBED(${CONTENT})LUNATIC_EMBED\";\n}\n")
