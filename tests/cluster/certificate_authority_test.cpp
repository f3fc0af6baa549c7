// The development CA: create, save, reload, sign; and every way a CSR or a state directory can
// be wrong.
#include "cluster/certificate_authority.hpp"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <memory>
#include <string>

#include "shared/temp_dir.hpp"

namespace lunatic::cluster {
namespace {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct ReqFree {
  void operator()(X509_REQ* p) const { X509_REQ_free(p); }
};
struct KeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct StoreFree {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free_all(p); }
};
using Cert = std::unique_ptr<X509, X509Free>;
using Req = std::unique_ptr<X509_REQ, ReqFree>;
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

std::unique_ptr<BIO, BioFree> bio_of(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}
Cert read_cert(const std::string& pem) {
  return Cert(PEM_read_bio_X509(bio_of(pem).get(), nullptr, nullptr, nullptr));
}
Req read_req(const std::string& pem) {
  return Req(PEM_read_bio_X509_REQ(bio_of(pem).get(), nullptr, nullptr, nullptr));
}
std::string write_req(X509_REQ* req) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// X509_verify_cert of `leaf` against `ca` alone, for TLS client and server use.
int verify(X509* ca, X509* leaf) {
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca);
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  const int client = X509_verify_cert(ctx.get());
  if (client != 1) return X509_STORE_CTX_get_error(ctx.get());
  X509_STORE_CTX_cleanup(ctx.get());
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  return X509_verify_cert(ctx.get()) == 1 ? 0 : X509_STORE_CTX_get_error(ctx.get());
}

std::string common_name(X509* cert) {
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name, sizeof name);
  return name;
}

mode_t mode_of(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777;
}

TEST(CertificateAuthority, ANewCaIsASelfSignedCaCertificateForTenYears) {
  auto ca = CertificateAuthority::create();
  ASSERT_TRUE(ca) << ca.error().message;
  X509* cert = ca->certificate();
  EXPECT_EQ(common_name(cert).rfind("Lunatic cluster CA ", 0), 0u) << common_name(cert);
  EXPECT_EQ(X509_check_ca(cert), 1);
  EXPECT_NE(X509_get_key_usage(cert) & KU_KEY_CERT_SIGN, 0u);
  EXPECT_EQ(X509_verify(cert, X509_get0_pubkey(cert)), 1) << "self-signed";
  EXPECT_EQ(X509_check_issued(cert, cert), X509_V_OK);
  int days = 0;
  int seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert), X509_get0_notAfter(cert)),
            1);
  EXPECT_GE(days, 3650);
  auto other = CertificateAuthority::create();
  ASSERT_TRUE(other);
  EXPECT_NE(common_name(cert), common_name(other->certificate())) << "each CA its own name";
}

TEST(CertificateAuthority, SavedAndReloadedItIsTheSameCaWithAPrivateKeyFile) {
  testing::TempDir dir("lunatic-ca");
  const auto state = dir.path() / "state";
  auto ca = CertificateAuthority::create();
  ASSERT_TRUE(ca);
  ASSERT_TRUE(ca->save(state));
  EXPECT_EQ(mode_of(state), 0700u);
  EXPECT_EQ(mode_of(state / kCaKeyFile), 0600u);
  auto again = CertificateAuthority::load(state);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->certificate_pem(), ca->certificate_pem());

  // It still signs: the key loaded is the certificate's.
  auto node = make_node_key_and_csr("node-1");
  ASSERT_TRUE(node);
  auto issued = again->sign("node-1", node->csr_pem);
  ASSERT_TRUE(issued) << issued.error().message;
  EXPECT_EQ(verify(ca->certificate(), read_cert(*issued).get()), 0);

  auto first = CertificateAuthority::load_or_create(dir.path() / "other");
  ASSERT_TRUE(first) << first.error().message;
  auto second = CertificateAuthority::load_or_create(dir.path() / "other");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(first->certificate_pem(), second->certificate_pem()) << "made once, then loaded";
}

TEST(CertificateAuthority, AKeyFileOthersCanReadOrAnotherCasKeyIsRefused) {
  testing::TempDir dir("lunatic-ca");
  auto ca = CertificateAuthority::create();
  auto other = CertificateAuthority::create();
  ASSERT_TRUE(ca && other);
  ASSERT_TRUE(ca->save(dir.path() / "a"));
  ASSERT_TRUE(other->save(dir.path() / "b"));

  ASSERT_EQ(::chmod((dir.path() / "a" / kCaKeyFile).c_str(), 0644), 0);
  auto readable = CertificateAuthority::load(dir.path() / "a");
  ASSERT_FALSE(readable);
  EXPECT_NE(readable.error().message.find("chmod 600"), std::string::npos)
      << readable.error().message;

  ASSERT_EQ(::chmod((dir.path() / "a" / kCaKeyFile).c_str(), 0600), 0);
  std::filesystem::copy_file(dir.path() / "b" / kCaKeyFile, dir.path() / "a" / kCaKeyFile,
                             std::filesystem::copy_options::overwrite_existing);
  auto mismatched = CertificateAuthority::load(dir.path() / "a");
  ASSERT_FALSE(mismatched);
  EXPECT_NE(mismatched.error().message.find("is not the key of"), std::string::npos)
      << mismatched.error().message;

  EXPECT_FALSE(CertificateAuthority::load(dir.path() / "missing"));
}

TEST(CertificateAuthority, ASignedNodeCertificateVerifiesAgainstTheCaForClientAndServer) {
  auto ca = CertificateAuthority::create();
  ASSERT_TRUE(ca);
  auto node = make_node_key_and_csr("3f2c1a9e-node");
  ASSERT_TRUE(node) << node.error().message;
  EXPECT_NE(node->key_pem.find("PRIVATE KEY"), std::string::npos);
  auto issued = ca->sign("3f2c1a9e-node", node->csr_pem);
  ASSERT_TRUE(issued) << issued.error().message;
  Cert cert = read_cert(*issued);
  ASSERT_TRUE(cert);
  EXPECT_EQ(verify(ca->certificate(), cert.get()), 0);
  EXPECT_EQ(common_name(cert.get()), "3f2c1a9e-node");
  EXPECT_EQ(X509_check_host(cert.get(), "3f2c1a9e-node", 0, 0, nullptr), 1) << "DNS SAN";
  EXPECT_EQ(X509_check_ca(cert.get()), 0) << "a node is no CA";
  const uint32_t eku = X509_get_extended_key_usage(cert.get());
  EXPECT_NE(eku & XKU_SSL_SERVER, 0u);
  EXPECT_NE(eku & XKU_SSL_CLIENT, 0u);
  int days = 0;
  int seconds = 0;
  ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert.get()), X509_get0_notAfter(cert.get()));
  EXPECT_GE(days, 365);
  EXPECT_LT(days, 367);

  // The certificate holds the CSR's key: it matches the node's private key.
  Key key(PEM_read_bio_PrivateKey(bio_of(node->key_pem).get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);

  auto again = ca->sign("3f2c1a9e-node", node->csr_pem);
  ASSERT_TRUE(again);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(cert.get()),
                             X509_get0_serialNumber(read_cert(*again).get())),
            0)
      << "random serials";

  auto stranger = CertificateAuthority::create();
  ASSERT_TRUE(stranger);
  EXPECT_NE(verify(stranger->certificate(), cert.get()), 0) << "another CA does not vouch for it";
}

TEST(CertificateAuthority, ATamperedCsrIsRefused) {
  auto ca = CertificateAuthority::create();
  auto node = make_node_key_and_csr("honest");
  ASSERT_TRUE(ca && node);
  Req req = read_req(node->csr_pem);
  ASSERT_TRUE(req);
  // Change what was signed, keep the signature.
  X509_NAME* name = X509_NAME_new();
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("mallory"), -1, -1, 0);
  X509_REQ_set_subject_name(req.get(), name);
  X509_NAME_free(name);
  auto refused = ca->sign("honest", write_req(req.get()));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("signature does not verify"), std::string::npos)
      << refused.error().message;
}

TEST(CertificateAuthority, ACsrSignedByAnotherKeyThanItCarriesIsRefused) {
  auto ca = CertificateAuthority::create();
  ASSERT_TRUE(ca);
  Key carried(EVP_EC_gen("P-256"));
  Key signer(EVP_EC_gen("P-256"));
  Req req(X509_REQ_new());
  X509_REQ_set_pubkey(req.get(), carried.get());
  ASSERT_GT(X509_REQ_sign(req.get(), signer.get(), EVP_sha256()), 0);
  auto refused = ca->sign("someone", write_req(req.get()));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("signature does not verify"), std::string::npos)
      << refused.error().message;
}

TEST(CertificateAuthority, GarbageWeakKeysAndBadNamesAreRefusedClearly) {
  auto ca = CertificateAuthority::create();
  auto node = make_node_key_and_csr("fine");
  ASSERT_TRUE(ca && node);
  auto garbage = ca->sign("fine", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n");
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message.find("not a PEM certificate signing request"),
            std::string::npos);
  EXPECT_FALSE(ca->sign("fine", ""));
  for (const char* bad : {"", "has space", "slash/name", "quote\"", "\xc3\xa9t\xc3\xa9"}) {
    EXPECT_FALSE(ca->sign(bad, node->csr_pem)) << bad;
    EXPECT_FALSE(make_node_key_and_csr(bad)) << bad;
  }
  EXPECT_FALSE(ca->sign(std::string(65, 'a'), node->csr_pem));
  EXPECT_TRUE(ca->sign(std::string(64, 'a'), node->csr_pem));

  Key weak(EVP_RSA_gen(1024));
  ASSERT_TRUE(weak);
  Req req(X509_REQ_new());
  X509_REQ_set_pubkey(req.get(), weak.get());
  ASSERT_GT(X509_REQ_sign(req.get(), weak.get(), EVP_sha256()), 0);
  auto refused = ca->sign("weak", write_req(req.get()));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("2048"), std::string::npos);
}

}  // namespace
}  // namespace lunatic::cluster
