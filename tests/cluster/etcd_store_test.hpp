// A test fixture with a real etcd of its own (etcd_server.hpp) and a store client for it, for
// the tests of the store client and of membership.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "cluster/store_client.hpp"
#include "shared/etcd_server.hpp"

namespace lunatic::cluster::testing {

class EtcdStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = EtcdServer::start();
    ASSERT_TRUE(started) << started.error().message;
    etcd_ = std::move(started).value();
    auto client = StoreClient::create(etcd_->url());
    ASSERT_TRUE(client) << client.error().message;
    store_.emplace(std::move(client).value());
  }

  std::unique_ptr<EtcdServer> etcd_;
  std::optional<StoreClient> store_;
};

}  // namespace lunatic::cluster::testing
