// lunatic::distributed, as Lunatic 0.13 defines it: the nodes of the cluster, spawning on
// another node and sending to its processes. A runtime that is no cluster's node
// (`lunatic run`) is node 0 and the only node; `lunatic node` answers for a real cluster
// (host/distributed_node.hpp). docs/abi.md says where this differs from Lunatic.
#pragma once

#include <vector>

#include "host/host_function.hpp"

namespace lunatic::host {

std::vector<engine::ImportFunction> distributed_functions();

}  // namespace lunatic::host
