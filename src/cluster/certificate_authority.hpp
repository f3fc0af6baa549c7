// The development certificate authority of `lunatic control`: it signs the certificates nodes
// present to each other (mutual TLS), so nodes trust one another by this CA, not by host name.
// Its key is made on first use and kept in the state directory (never compiled in, unlike
// Lunatic's public test CA). An EC P-256 key, a self-signed certificate valid 10 years;
// node certificates are valid 1 year, for serverAuth and clientAuth, with the node's name as
// CN and DNS subjectAltName.
//
// Thread: const methods may run concurrently (OpenSSL 3 keys are safe to sign with from
// several threads); load/create/save are one thread's.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace lunatic::cluster {

inline constexpr std::string_view kCaCertificateFile = "ca.pem";
inline constexpr std::string_view kCaKeyFile = "ca.key";

class CertificateAuthority {
 public:
  // A new key and self-signed certificate, CN "Lunatic cluster CA <random id>".
  static Expected<CertificateAuthority> create();
  // Reads <dir>/ca.pem and <dir>/ca.key. Refuses a key file others can read, and a key that
  // is not the certificate's.
  static Expected<CertificateAuthority> load(const std::filesystem::path& dir);
  // load() if <dir>/ca.pem exists, else create() and save().
  static Expected<CertificateAuthority> load_or_create(const std::filesystem::path& dir);

  // Writes ca.pem (0644) and ca.key (0600) into `dir`, made 0700 (created if missing).
  Status save(const std::filesystem::path& dir) const;

  const std::string& certificate_pem() const { return certificate_pem_; }
  X509* certificate() const { return certificate_.get(); }

  // Checks the CSR's signature (proof that its sender holds the key) and issues a certificate
  // for `node_name` with the CSR's public key. The CSR's own subject is not used: the name is
  // the one the caller vouches for. Errors (kInvalidArgument): a bad node name, not a PEM CSR,
  // a signature that does not verify, a weak key.
  Expected<std::string> sign(std::string_view node_name, std::string_view csr_pem) const;

 private:
  struct KeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  };
  struct CertificateFree {
    void operator()(X509* certificate) const { X509_free(certificate); }
  };
  CertificateAuthority(std::unique_ptr<EVP_PKEY, KeyFree> key,
                       std::unique_ptr<X509, CertificateFree> certificate,
                       std::string certificate_pem)
      : key_(std::move(key)),
        certificate_(std::move(certificate)),
        certificate_pem_(std::move(certificate_pem)) {}

  std::unique_ptr<EVP_PKEY, KeyFree> key_;
  std::unique_ptr<X509, CertificateFree> certificate_;
  std::string certificate_pem_;
};

// A node's side: a fresh EC P-256 key and a CSR for it with CN = node_name, both in PEM. The
// key stays on the node; the CSR goes to control's POST /lunatic/v1/sign.
struct NodeKeyAndCsr {
  std::string key_pem;
  std::string csr_pem;
};
Expected<NodeKeyAndCsr> make_node_key_and_csr(std::string_view node_name);

// Node names a certificate can carry: 1 to 64 of [A-Za-z0-9.-_] (a CN holds 64 at most, and a
// DNS name these characters).
Status check_node_name(std::string_view node_name);

}  // namespace lunatic::cluster
