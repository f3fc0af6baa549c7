#include "cluster/tls_identity.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <vector>

namespace lunatic::cluster {
namespace {

constexpr std::size_t kReadAheadBytes = 128 * 1024;

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using Certificate = std::unique_ptr<X509, decltype(&X509_free)>;
using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Store = std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)>;
using StoreContext = std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)>;
using CertificateStack = std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509)*)>;

void free_certificates(STACK_OF(X509) * stack) { sk_X509_pop_free(stack, X509_free); }

Error file_error(Errc code, const std::string& what, const std::string& path,
                 const std::string& fallback) {
  return make_error(code, what + " " + path + ": " + take_openssl_errors(fallback));
}

Expected<Bio> open_file(const std::string& what, const std::string& path) {
  Bio bio(BIO_new_file(path.c_str(), "r"), &BIO_free);
  if (!bio) return file_error(Errc::kIo, "cannot read the " + what, path, "cannot open");
  return bio;
}

// The first certificate of a PEM file, and in `chain` those after it.
Expected<Certificate> read_certificates(const std::string& what, const std::string& path,
                                        STACK_OF(X509) * chain) {
  auto bio = open_file(what, path);
  if (!bio) return bio.error();
  Certificate first(PEM_read_bio_X509(bio->get(), nullptr, nullptr, nullptr), &X509_free);
  if (!first) {
    return file_error(Errc::kInvalidArgument, "no PEM certificate in the " + what, path,
                      "no certificate found");
  }
  while (chain != nullptr) {
    X509* next = PEM_read_bio_X509(bio->get(), nullptr, nullptr, nullptr);
    if (next == nullptr) break;
    sk_X509_push(chain, next);
  }
  ERR_clear_error();  // the end of the PEM data
  return first;
}

std::string common_name(X509* certificate) {
  X509_NAME* subject = X509_get_subject_name(certificate);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return {};
  unsigned char* utf8 = nullptr;
  const int length =
      ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
  if (length < 0) return {};
  std::string name(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return name;
}

// Whether `certificate` (with `chain`) leads to `ca`: a wrong file is reported when it is
// loaded, not as every peer's handshake failure.
Status check_signed_by(X509* ca, X509* certificate, STACK_OF(X509) * chain,
                       const std::string& path) {
  Store store(X509_STORE_new(), &X509_STORE_free);
  StoreContext context(X509_STORE_CTX_new(), &X509_STORE_CTX_free);
  if (!store || !context || X509_STORE_add_cert(store.get(), ca) != 1 ||
      X509_STORE_CTX_init(context.get(), store.get(), certificate, chain) != 1) {
    return make_error(Errc::kInvalidArgument, take_openssl_errors("cannot verify " + path));
  }
  X509_STORE_CTX_set_flags(context.get(), X509_V_FLAG_PARTIAL_CHAIN);
  if (X509_verify_cert(context.get()) != 1) {
    ERR_clear_error();
    return make_error(Errc::kInvalidArgument,
                      "the certificate " + path + " is not valid under the CA: " +
                          X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.get())));
  }
  return Ok{};
}

Expected<std::shared_ptr<SSL_CTX>> make_context(const SSL_METHOD* method, X509* ca,
                                                X509* certificate, STACK_OF(X509) * chain,
                                                EVP_PKEY* key) {
  std::shared_ptr<SSL_CTX> context(SSL_CTX_new(method), &SSL_CTX_free);
  if (!context) return make_error(Errc::kInvalidArgument, take_openssl_errors("SSL_CTX_new"));
  SSL_CTX* ctx = context.get();
  bool ok = SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) == 1 &&
            SSL_CTX_use_certificate(ctx, certificate) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1;
  for (int i = 0; ok && i < sk_X509_num(chain); ++i)
    ok = SSL_CTX_add1_chain_cert(ctx, sk_X509_value(chain, i)) == 1;
  // The CA is the only trust anchor: a store of its own, no default paths. PARTIAL_CHAIN lets it
  // be an intermediate.
  X509_STORE* store = X509_STORE_new();
  ok = ok && store != nullptr && X509_STORE_add_cert(store, ca) == 1 &&
       X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN) == 1;
  if (!ok) {
    X509_STORE_free(store);
    return make_error(Errc::kInvalidArgument, take_openssl_errors("cannot set up a TLS context"));
  }
  SSL_CTX_set_cert_store(ctx, store);  // takes ownership
  // Tells a client which CA to present a certificate from.
  if (SSL_CTX_add_client_CA(ctx, ca) != 1)
    return make_error(Errc::kInvalidArgument, take_openssl_errors("SSL_CTX_add_client_CA"));
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  // Nonblocking writes may complete part of a buffer, and a retry may pass it from elsewhere.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // A peer's close without close_notify ends the connection as a TCP close does.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Connections live long and are never resumed: no session tickets after the handshake.
  SSL_CTX_set_num_tickets(ctx, 0);
  // One read takes what the socket has, up to this, rather than two reads (header, body) per
  // record: syscalls are most of the cost of a large message.
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_default_read_buffer_len(ctx, kReadAheadBytes);
  return context;
}

}  // namespace

std::string take_openssl_errors(const std::string& fallback) {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(code, line, sizeof line);
    if (!text.empty()) text += "; ";
    text += line;
  }
  return text.empty() ? fallback : text;
}

Expected<TlsIdentity> TlsIdentity::load(const TlsIdentityFiles& files) {
  ERR_clear_error();
  auto ca = read_certificates("CA certificate", files.ca_certificate, nullptr);
  if (!ca) return ca.error();
  CertificateStack chain(sk_X509_new_null(), &free_certificates);
  if (!chain) return make_error(Errc::kInvalidArgument, take_openssl_errors("out of memory"));
  auto certificate = read_certificates("node certificate", files.certificate, chain.get());
  if (!certificate) return certificate.error();

  auto bio = open_file("node key", files.private_key);
  if (!bio) return bio.error();
  Key key(PEM_read_bio_PrivateKey(bio->get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (!key) {
    return file_error(Errc::kInvalidArgument, "no unencrypted PEM private key in the node key",
                      files.private_key, "no key found");
  }
  if (X509_check_private_key(certificate->get(), key.get()) != 1) {
    return file_error(Errc::kInvalidArgument,
                      "the key " + files.private_key + " does not match the certificate",
                      files.certificate, "mismatch");
  }
  if (auto signed_by =
          check_signed_by(ca->get(), certificate->get(), chain.get(), files.certificate);
      !signed_by) {
    return signed_by.error();
  }

  TlsIdentity identity;
  identity.name_ = common_name(certificate->get());
  if (identity.name_.empty()) {
    return make_error(Errc::kInvalidArgument,
                      "the certificate " + files.certificate + " has no common name (CN)");
  }
  auto server =
      make_context(TLS_server_method(), ca->get(), certificate->get(), chain.get(), key.get());
  if (!server) return server.error();
  auto client =
      make_context(TLS_client_method(), ca->get(), certificate->get(), chain.get(), key.get());
  if (!client) return client.error();
  identity.server_ = std::move(*server);
  identity.client_ = std::move(*client);
  return identity;
}

std::string peer_common_name(SSL* ssl) {
  X509* peer = SSL_get0_peer_certificate(ssl);
  return peer == nullptr ? std::string() : common_name(peer);
}

}  // namespace lunatic::cluster
