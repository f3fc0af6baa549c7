// A node's identity between nodes: its certificate and key, and the cluster's CA, loaded from PEM
// files into the two OpenSSL contexts its connections use (one to accept, one to dial). Both
// speak TLS 1.3 only and require the peer's certificate, verified against that CA alone: a peer
// with no certificate, or one from another CA, fails the handshake, before it can send a frame.
//
// A node's name is its certificate's subject common name (CN): the development CA signs a CSR
// whose CN is the node's name, and a peer's hello must name the node its certificate names.
//
// Thread: immutable once loaded; the contexts serve any number of connections on any thread.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "common/error.hpp"

namespace lunatic::cluster {

struct TlsIdentityFiles {
  std::string ca_certificate;  // PEM: the cluster's CA, the only trust anchor
  std::string certificate;     // PEM: this node's certificate (a chain may follow it)
  std::string private_key;     // PEM: its key, unencrypted
};

class TlsIdentity {
 public:
  // Fails (Errc::kIo, kInvalidArgument) naming the file and OpenSSL's reason: a file cannot be
  // read or holds no certificate or key, the key does not match the certificate, the
  // certificate is not signed by the CA, or it has no common name.
  static Expected<TlsIdentity> load(const TlsIdentityFiles& files);

  SSL_CTX* server_context() const { return server_.get(); }
  SSL_CTX* client_context() const { return client_.get(); }
  // This node's certificate's common name.
  const std::string& name() const { return name_; }

 private:
  std::shared_ptr<SSL_CTX> server_;
  std::shared_ptr<SSL_CTX> client_;
  std::string name_;
};

// The common name of the certificate `ssl`'s peer presented; empty when it presented none or the
// certificate names no CN. Meaningful once the handshake has verified it.
std::string peer_common_name(SSL* ssl);

// OpenSSL's queued errors as one line (the queue is cleared), or `fallback` when there are none.
std::string take_openssl_errors(const std::string& fallback);

}  // namespace lunatic::cluster
