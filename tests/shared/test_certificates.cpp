#include "shared/test_certificates.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <stdexcept>

namespace lunatic::cluster::testing {
namespace {

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string(what) + ": " + take_openssl_errors("failed"));
}

std::shared_ptr<EVP_PKEY> new_key() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  check(key != nullptr, "EVP_EC_gen");
  return std::shared_ptr<EVP_PKEY>(key, &EVP_PKEY_free);
}

void add_extension(X509* certificate, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_nconf_nid(nullptr, &context, nid, value);
  check(extension != nullptr && X509_add_ext(certificate, extension, -1) == 1, "an extension");
  X509_EXTENSION_free(extension);
}

// A certificate for `key` named `common_name`, signed by `issuer_key` as `issuer` (itself when
// issuer is null).
std::shared_ptr<X509> new_certificate(EVP_PKEY* key, const std::string& common_name, X509* issuer,
                                      EVP_PKEY* issuer_key) {
  static std::atomic<long> serial{1};
  std::shared_ptr<X509> certificate(X509_new(), &X509_free);
  X509* x = certificate.get();
  check(x != nullptr && X509_set_version(x, X509_VERSION_3) == 1 &&
            ASN1_INTEGER_set(X509_get_serialNumber(x), serial++) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600) != nullptr &&
            X509_set_pubkey(x, key) == 1,
        "a certificate");
  X509_NAME* subject = X509_get_subject_name(x);
  check(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0) == 1,
        "a common name");
  X509* signer = issuer != nullptr ? issuer : x;
  check(X509_set_issuer_name(x, X509_get_subject_name(signer)) == 1, "an issuer name");
  add_extension(x, signer, NID_subject_key_identifier, "hash");
  if (issuer == nullptr) {
    add_extension(x, signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(x, signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(x, signer, NID_key_usage, "critical,digitalSignature");
    // Every node both accepts and dials.
    add_extension(x, signer, NID_ext_key_usage, "serverAuth,clientAuth");
    add_extension(x, signer, NID_authority_key_identifier, "keyid");
  }
  check(X509_sign(x, issuer_key, EVP_sha256()) > 0, "X509_sign");
  return certificate;
}

void write_pem(const std::string& path, X509* certificate, EVP_PKEY* key) {
  BIO* bio = BIO_new_file(path.c_str(), "w");
  check(bio != nullptr, "BIO_new_file");
  const bool ok = certificate != nullptr ? PEM_write_bio_X509(bio, certificate) == 1
                                         : PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0,
                                                                    nullptr, nullptr) == 1;
  BIO_free(bio);
  check(ok, "writing PEM");
}

}  // namespace

TestCertificates::TestCertificates(const lunatic::testing::TempDir& dir, std::string ca_name)
    : dir_(dir), ca_name_(std::move(ca_name)), ca_path_(dir / (ca_name_ + ".pem")) {
  ca_key_ = new_key();
  ca_certificate_ = new_certificate(ca_key_.get(), ca_name_, nullptr, ca_key_.get());
  write_pem(ca_path_, ca_certificate_.get(), nullptr);
}

TlsIdentityFiles TestCertificates::issue(const std::string& node_name) const {
  const auto key = new_key();
  const auto certificate =
      new_certificate(key.get(), node_name, ca_certificate_.get(), ca_key_.get());
  TlsIdentityFiles files{ca_path_, dir_ / (ca_name_ + "-" + node_name + ".pem"),
                         dir_ / (ca_name_ + "-" + node_name + ".key")};
  write_pem(files.certificate, certificate.get(), nullptr);
  write_pem(files.private_key, nullptr, key.get());
  return files;
}

std::shared_ptr<const TlsIdentity> TestCertificates::identity(const std::string& node_name) const {
  auto loaded = TlsIdentity::load(issue(node_name));
  if (!loaded) throw std::runtime_error(loaded.error().message);
  return std::make_shared<const TlsIdentity>(std::move(*loaded));
}

}  // namespace lunatic::cluster::testing
