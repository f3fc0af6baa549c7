// Control's CA endpoints over HTTP: the public CA certificate, and signing behind the join token.
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <memory>
#include <string>

#include "cluster/certificate_authority.hpp"
#include "cluster/control_json.hpp"
#include "cluster/control_server.hpp"
#include "shared/temp_dir.hpp"

namespace lunatic::cluster {
namespace {

using namespace std::chrono_literals;
using control::Json;

std::unique_ptr<X509, decltype(&X509_free)> certificate_of(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free_all(bio);
  return {cert, &X509_free};
}

class ControlSignTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ControlServerOptions options;
    options.state_dir = dir_.path() / "state";
    server_ = std::make_unique<ControlServer>(options);
    auto port = server_->start();
    ASSERT_TRUE(port) << port.error().message;
    client_ = std::make_unique<httplib::Client>("127.0.0.1", *port);
    client_->set_read_timeout(10s);
  }

  httplib::Result sign(const std::string& body, const std::string& authorization) {
    httplib::Headers headers;
    if (!authorization.empty()) headers.emplace("Authorization", authorization);
    return client_->Post("/lunatic/v1/sign", headers, body, "application/json");
  }
  std::string request_for(const std::string& name) {
    auto node = make_node_key_and_csr(name);
    EXPECT_TRUE(node);
    Json body = Json::object();
    body["node_name"] = name;
    body["csr_pem"] = node ? node->csr_pem : "";
    return body.dump();
  }

  lunatic::testing::TempDir dir_{"lunatic-control-sign"};
  std::unique_ptr<ControlServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ControlSignTest, TheCaCertificateIsPublic) {
  auto result = client_->Get("/lunatic/v1/ca");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, server_->certificate_authority().certificate_pem());
}

TEST_F(ControlSignTest, SigningWithoutTheJoinTokenIsUnauthorized) {
  const std::string body = request_for("node-a");
  for (const std::string& authorization :
       {std::string(), std::string("Bearer wrong-token-of-some-length"),
        "Basic " + server_->join_token(), "Bearer " + server_->join_token() + "x",
        std::string("Bearer")}) {
    auto result = sign(body, authorization);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 401) << authorization;
    Json error = Json::parse(result->body);
    EXPECT_EQ(error["code"], 16);
    EXPECT_NE(error["error"].get<std::string>().find("join token"), std::string::npos);
  }
}

TEST_F(ControlSignTest, WithTheTokenANodeGetsACertificateTheCaVerifies) {
  auto result = sign(request_for("node-b"), "Bearer " + server_->join_token());
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  Json reply = Json::parse(result->body);
  EXPECT_EQ(reply["ca_pem"], server_->certificate_authority().certificate_pem());
  const auto certificate = certificate_of(reply["certificate_pem"].get<std::string>());
  X509* cert = certificate.get();
  ASSERT_NE(cert, nullptr);
  EVP_PKEY* ca_key = X509_get0_pubkey(server_->certificate_authority().certificate());
  EXPECT_EQ(X509_verify(cert, ca_key), 1) << "signed by the CA";
  EXPECT_EQ(X509_check_host(cert, "node-b", 0, 0, nullptr), 1);
}

TEST_F(ControlSignTest, BadSignRequestsAreRefusedWithAMessage) {
  const std::string bearer = "Bearer " + server_->join_token();
  for (const std::string& body : {std::string("not json"), std::string(R"({"node_name":"n"})"),
                                  std::string(R"({"node_name":"n","csr_pem":"garbage"})"),
                                  std::string(R"({"node_name":7,"csr_pem":"x"})")}) {
    auto result = sign(body, bearer);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 400) << body;
    EXPECT_FALSE(Json::parse(result->body)["error"].get<std::string>().empty());
  }
  Json bad_name = Json::parse(request_for("good-name"));
  bad_name["node_name"] = "bad name";
  auto refused = sign(bad_name.dump(), bearer);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
}

}  // namespace
}  // namespace lunatic::cluster
