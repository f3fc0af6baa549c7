// Test support: a certificate authority made at test time (EC P-256, in memory) that writes its
// certificate and the node certificates it issues, with their keys, as PEM files into a test's
// temporary directory. No key is ever committed; each run makes its own.
// Thread: one thread at a time.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "cluster/tls_identity.hpp"
#include "shared/temp_dir.hpp"

namespace lunatic::cluster::testing {

class TestCertificates {
 public:
  // A self-signed CA whose common name is `ca_name`, its certificate in
  // <dir>/<ca_name>.pem. Throws std::runtime_error when OpenSSL fails.
  TestCertificates(const lunatic::testing::TempDir& dir, std::string ca_name);

  // A node certificate with common name `node_name`, signed by this CA, and its key, written as
  // <dir>/<ca_name>-<node_name>.{pem,key}; returns the three files of the identity.
  TlsIdentityFiles issue(const std::string& node_name) const;
  // Loads issue(node_name) (throws if it does not load).
  std::shared_ptr<const TlsIdentity> identity(const std::string& node_name) const;

  const std::string& ca_path() const { return ca_path_; }

 private:
  const lunatic::testing::TempDir& dir_;
  std::string ca_name_;
  std::string ca_path_;
  std::shared_ptr<EVP_PKEY> ca_key_;
  std::shared_ptr<X509> ca_certificate_;
};

}  // namespace lunatic::cluster::testing
