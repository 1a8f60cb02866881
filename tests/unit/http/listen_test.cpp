// http::parse_listen: the --listen flags of `gantry controller` and `gantry dashboard`.
#include <gtest/gtest.h>

#include "core/error.h"
#include "http/server.h"

namespace gantry::http {
namespace {

TEST(ParseListen, HostPortForms) {
  EXPECT_EQ(parse_listen("127.0.0.1:8080"), std::make_pair(std::string("127.0.0.1"), 8080));
  EXPECT_EQ(parse_listen(":9090"), std::make_pair(std::string("0.0.0.0"), 9090));
  EXPECT_EQ(parse_listen("[::1]:0"), std::make_pair(std::string("::1"), 0));
}

TEST(ParseListen, BadFormsAreUsageErrors) {
  for (const char* bad : {"8080", "host:", "host:http", "host:70000", "host:-1", "h:80x"}) {
    try {
      parse_listen(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kUsage) << bad;
    }
  }
}

}  // namespace
}  // namespace gantry::http
