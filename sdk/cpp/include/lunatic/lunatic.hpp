// The C++ guest SDK in one include. See docs/sdk.md.
#pragma once

#include <lunatic/config.hpp>
#include <lunatic/distributed.hpp>
#include <lunatic/global.hpp>
#include <lunatic/mailbox.hpp>
#include <lunatic/metrics.hpp>
#include <lunatic/module.hpp>
#include <lunatic/msgpack.hpp>
#include <lunatic/net.hpp>
#include <lunatic/process.hpp>
#include <lunatic/request.hpp>
#include <lunatic/result.hpp>
#include <lunatic/server.hpp>
#include <lunatic/supervisor.hpp>
