// Reading a Prometheus endpoint from CLI tests: a plain HTTP GET on loopback, and the value of
// one sample in the text it returns.
#pragma once

#include <cstdint>
#include <string>

namespace cli_test {

// The body of GET `path` at 127.0.0.1:port, or what went wrong.
std::string http_get(std::uint16_t port, const std::string& path);
inline std::string scrape(std::uint16_t port) { return http_get(port, "/metrics"); }

// A port nobody listens on now (the OS's choice for port 0).
std::uint16_t free_port();

// The value of the sample `series` (a name with its labels) in an exposition, or -1.
double sample(const std::string& text, const std::string& series);

}  // namespace cli_test
