// lunatic::networking, as Lunatic 0.13 defines it: DNS, TCP, UDP and TLS (networking_*_api.cpp).
#pragma once

#include <vector>

#include "host/host_function.hpp"

namespace lunatic::host {

std::vector<engine::ImportFunction> dns_functions();
std::vector<engine::ImportFunction> tcp_functions();
std::vector<engine::ImportFunction> udp_functions();
std::vector<engine::ImportFunction> tls_functions();

}  // namespace lunatic::host
