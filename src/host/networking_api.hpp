// lunatic::networking, as Lunatic 0.13 defines it: DNS, TCP, UDP and TLS (networking_*_api.cpp).
#pragma once

#include <vector>

#include "host/host_function.hpp"

namespace lunatic::host {

std::vector<HostFunction> dns_functions();
std::vector<HostFunction> tcp_functions();
std::vector<HostFunction> udp_functions();
std::vector<HostFunction> tls_functions();

}  // namespace lunatic::host
