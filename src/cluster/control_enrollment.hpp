// A node's certificate from `lunatic control`'s development CA: the node makes its key here
// (it never leaves the machine), sends a CSR with the join token, and keeps the signed
// certificate, the CA and the key in its own state directory (0700; the key 0600), where
// TlsIdentity loads them. Production clusters pass their own files instead.
#pragma once

#include <filesystem>
#include <string_view>

#include "cluster/store_client.hpp"
#include "cluster/tls_identity.hpp"
#include "common/error.hpp"

namespace lunatic::cluster {

Expected<TlsIdentityFiles> enroll_with_control(const StoreEndpoint& control,
                                               std::string_view join_token,
                                               std::string_view node_name,
                                               const std::filesystem::path& state_dir);

}  // namespace lunatic::cluster
