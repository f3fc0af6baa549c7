#include "cluster/certificate_authority.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstdio>

#include "cluster/private_file.hpp"
#include "common/file_io.hpp"

namespace lunatic::cluster {
namespace {

constexpr long kCaValidityDays = 3650;
constexpr long kNodeValidityDays = 365;
constexpr long kBackdateSeconds = 300;  // tolerates clocks a little behind the CA's
constexpr int kMinRsaBits = 2048;

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Certificate = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Request = std::unique_ptr<X509_REQ, Deleter<X509_REQ, X509_REQ_free>>;
using Extension = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using Name = std::unique_ptr<X509_NAME, Deleter<X509_NAME, X509_NAME_free>>;
using BigNum = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;

// The reason OpenSSL gave last, emptying its queue so that it cannot be blamed on a later call.
std::string openssl_reason() {
  std::string reason;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    reason = text.data();
  }
  return reason.empty() ? "no reason given" : reason;
}

Error failure(std::string_view what) {
  return make_error(Errc::kInvalidArgument, std::string(what) + " (" + openssl_reason() + ")");
}

Bio memory_bio(std::string_view bytes) {
  return Bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

Expected<Key> make_ec_key() {
  Key key(EVP_EC_gen("P-256"));
  if (!key) return failure("cannot make an EC P-256 key");
  return key;
}

Expected<std::string> random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    return failure("no random bytes");
  }
  std::string hex;
  for (unsigned char c : raw) {
    char pair[3];
    std::snprintf(pair, sizeof pair, "%02x", c);
    hex += pair;
  }
  return hex;
}

// 127 random bits: positive, unique in practice, and within the 20 octets RFC 5280 allows.
Status set_random_serial(X509* certificate) {
  BigNum number(BN_new());
  if (!number || BN_rand(number.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(certificate)) == nullptr) {
    return failure("cannot make a serial number");
  }
  return Ok{};
}

Expected<Name> common_name(std::string_view cn) {
  Name name(X509_NAME_new());
  if (!name || X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                          reinterpret_cast<const unsigned char*>(cn.data()),
                                          static_cast<int>(cn.size()), -1, 0) != 1) {
    return failure("cannot make the subject name");
  }
  return name;
}

// Adds the extension `nid` = `value` (OpenSSL's config syntax), issuer and subject from `ctx`.
Status add_extension(X509* certificate, X509V3_CTX* ctx, int nid, const char* value) {
  Extension extension(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1) {
    return failure(std::string("cannot add the extension ") + OBJ_nid2sn(nid) + "=" + value);
  }
  return Ok{};
}

// A v3 certificate for `subject_key`, named `subject`, valid `days` from now (a little before).
Expected<Certificate> new_certificate(EVP_PKEY* subject_key, X509_NAME* subject, long days) {
  Certificate certificate(X509_new());
  if (!certificate || X509_set_version(certificate.get(), X509_VERSION_3) != 1 ||
      X509_set_subject_name(certificate.get(), subject) != 1 ||
      X509_set_pubkey(certificate.get(), subject_key) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -kBackdateSeconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(certificate.get()), days * 24 * 60 * 60) == nullptr) {
    return failure("cannot make a certificate");
  }
  if (auto serial = set_random_serial(certificate.get()); !serial) return serial.error();
  return certificate;
}

Expected<std::string> certificate_to_pem(X509* certificate) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1) {
    return failure("cannot write a certificate as PEM");
  }
  return bio_text(bio.get());
}

}  // namespace

Status check_node_name(std::string_view node_name) {
  if (node_name.empty() || node_name.size() > 64) {
    return make_error(Errc::kInvalidArgument, "a node name has 1 to 64 characters");
  }
  for (char c : node_name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_';
    if (!ok) {
      return make_error(Errc::kInvalidArgument,
                        "a node name has only letters, digits, '.', '-' and '_': \"" +
                            std::string(node_name) + "\"");
    }
  }
  return Ok{};
}

Expected<CertificateAuthority> CertificateAuthority::create() {
  auto key = make_ec_key();
  if (!key) return key.error();
  auto id = random_hex(8);
  if (!id) return id.error();
  auto name = common_name("Lunatic cluster CA " + *id);
  if (!name) return name.error();
  auto certificate = new_certificate(key->get(), name->get(), kCaValidityDays);
  if (!certificate) return certificate.error();
  X509* cert = certificate->get();
  if (X509_set_issuer_name(cert, name->get()) != 1) return failure("cannot set the issuer");
  X509V3_CTX ctx{};
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                                   std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"},
                                   std::pair{NID_subject_key_identifier, "hash"}}) {
    if (auto added = add_extension(cert, &ctx, nid, value); !added) return added.error();
  }
  if (X509_sign(cert, key->get(), EVP_sha256()) <= 0) return failure("cannot sign the CA");
  auto pem = certificate_to_pem(cert);
  if (!pem) return pem.error();
  return CertificateAuthority(std::unique_ptr<EVP_PKEY, KeyFree>(key->release()),
                              std::unique_ptr<X509, CertificateFree>(certificate->release()),
                              std::move(*pem));
}

Expected<CertificateAuthority> CertificateAuthority::load(const std::filesystem::path& dir) {
  const auto key_path = dir / kCaKeyFile;
  if (auto private_key = check_private_file(key_path); !private_key) return private_key.error();
  auto certificate_pem = read_file(dir / kCaCertificateFile);
  if (!certificate_pem) return certificate_pem.error();
  auto key_pem = read_file(key_path);
  if (!key_pem) return key_pem.error();
  Bio certificate_bio = memory_bio(*certificate_pem);
  Certificate certificate(PEM_read_bio_X509(certificate_bio.get(), nullptr, nullptr, nullptr));
  if (!certificate) return failure("no PEM certificate in " + (dir / kCaCertificateFile).string());
  Bio key_bio = memory_bio(*key_pem);
  Key key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) return failure("no PEM private key in " + key_path.string());
  if (X509_check_private_key(certificate.get(), key.get()) != 1) {
    return failure(key_path.string() + " is not the key of " + (dir / kCaCertificateFile).string());
  }
  auto pem = certificate_to_pem(certificate.get());
  if (!pem) return pem.error();
  return CertificateAuthority(std::unique_ptr<EVP_PKEY, KeyFree>(key.release()),
                              std::unique_ptr<X509, CertificateFree>(certificate.release()),
                              std::move(*pem));
}

Expected<CertificateAuthority> CertificateAuthority::load_or_create(
    const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir / kCaCertificateFile, ec)) return load(dir);
  auto created = create();
  if (!created) return created.error();
  if (auto saved = created->save(dir); !saved) return saved.error();
  return created;
}

Status CertificateAuthority::save(const std::filesystem::path& dir) const {
  if (auto made = make_private_directory(dir); !made) return made;
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return failure("cannot write the CA key as PEM");
  }
  // The key first: a certificate without its key would make load() fail on every start.
  if (auto written = write_private_file(dir / kCaKeyFile, bio_text(bio.get())); !written) {
    return written;
  }
  return write_file_atomic(dir / kCaCertificateFile, certificate_pem_);
}

Expected<std::string> CertificateAuthority::sign(std::string_view node_name,
                                                 std::string_view csr_pem) const {
  if (auto name_ok = check_node_name(node_name); !name_ok) return name_ok.error();
  Bio csr_bio = memory_bio(csr_pem);
  Request request(PEM_read_bio_X509_REQ(csr_bio.get(), nullptr, nullptr, nullptr));
  if (!request) return failure("not a PEM certificate signing request");
  EVP_PKEY* subject_key = X509_REQ_get0_pubkey(request.get());
  if (subject_key == nullptr) return failure("the certificate signing request has no public key");
  // The CSR is signed with the key it carries: this is what proves its sender holds that key.
  if (X509_REQ_verify(request.get(), subject_key) != 1) {
    return failure("the certificate signing request's signature does not verify");
  }
  if (EVP_PKEY_get_base_id(subject_key) == EVP_PKEY_RSA &&
      EVP_PKEY_get_bits(subject_key) < kMinRsaBits) {
    ERR_clear_error();
    return make_error(Errc::kInvalidArgument, "an RSA key needs at least 2048 bits");
  }
  auto name = common_name(node_name);
  if (!name) return name.error();
  auto certificate = new_certificate(subject_key, name->get(), kNodeValidityDays);
  if (!certificate) return certificate.error();
  X509* cert = certificate->get();
  if (X509_set_issuer_name(cert, X509_get_subject_name(certificate_.get())) != 1) {
    return failure("cannot set the issuer");
  }
  X509V3_CTX ctx{};
  X509V3_set_ctx(&ctx, certificate_.get(), cert, nullptr, nullptr, 0);
  const std::string san = "DNS:" + std::string(node_name);
  // keyEncipherment only means something for RSA key transport.
  const bool rsa = EVP_PKEY_get_base_id(subject_key) == EVP_PKEY_RSA;
  const char* usage =
      rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature";
  for (const auto& [nid, value] :
       {std::pair{NID_basic_constraints, "critical,CA:FALSE"}, std::pair{NID_key_usage, usage},
        std::pair{NID_ext_key_usage, "serverAuth,clientAuth"},
        std::pair{NID_subject_alt_name, san.c_str()}, std::pair{NID_subject_key_identifier, "hash"},
        std::pair{NID_authority_key_identifier, "keyid:always"}}) {
    if (auto added = add_extension(cert, &ctx, nid, value); !added) return added.error();
  }
  if (X509_sign(cert, key_.get(), EVP_sha256()) <= 0) return failure("cannot sign");
  return certificate_to_pem(cert);
}

Expected<NodeKeyAndCsr> make_node_key_and_csr(std::string_view node_name) {
  if (auto name_ok = check_node_name(node_name); !name_ok) return name_ok.error();
  auto key = make_ec_key();
  if (!key) return key.error();
  auto name = common_name(node_name);
  if (!name) return name.error();
  Request request(X509_REQ_new());
  if (!request || X509_REQ_set_version(request.get(), 0) != 1 ||
      X509_REQ_set_subject_name(request.get(), name->get()) != 1 ||
      X509_REQ_set_pubkey(request.get(), key->get()) != 1 ||
      X509_REQ_sign(request.get(), key->get(), EVP_sha256()) <= 0) {
    return failure("cannot make a certificate signing request");
  }
  Bio key_bio(BIO_new(BIO_s_mem()));
  Bio csr_bio(BIO_new(BIO_s_mem()));
  if (!key_bio || !csr_bio ||
      PEM_write_bio_PrivateKey(key_bio.get(), key->get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1 ||
      PEM_write_bio_X509_REQ(csr_bio.get(), request.get()) != 1) {
    return failure("cannot write the key or the request as PEM");
  }
  return NodeKeyAndCsr{bio_text(key_bio.get()), bio_text(csr_bio.get())};
}

}  // namespace lunatic::cluster
