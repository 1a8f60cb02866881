#include <gtest/gtest.h>

#include <atomic>
#include <fstream>

#include "core/error.h"
#include "http/client.h"
#include "support/fixtures.h"
#include "support/oci_servers.h"

using namespace gantry::http;
using gantry::testing::LoopbackServer;

namespace {
ClientOptions fast() {
  ClientOptions o;
  o.retry_base = std::chrono::milliseconds(5);
  o.retry_max = std::chrono::milliseconds(20);
  o.max_retries = 3;
  return o;
}
}  // namespace

TEST(HttpClient, GetCollectsBodyAndHeaders) {
  LoopbackServer s;
  s.server().Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
    res.set_header("X-Echo", req.get_header_value("X-In"));
    res.set_content("hi there", "text/plain");
  });
  s.start();
  Client c(fast());
  Request r;
  r.url = s.base() + "/hello";
  r.headers.push_back({"X-In", "abc"});
  Response resp = c.send(r);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "hi there");
  EXPECT_EQ(resp.header("x-echo").value_or(""), "abc");
  EXPECT_EQ(resp.header("X-ECHO").value_or(""), "abc");
  EXPECT_EQ(resp.header("content-type").value_or(""), "text/plain");
}

TEST(HttpClient, RetriesOn503HonouringRetryAfterAnd429) {
  LoopbackServer s;
  std::atomic<int> calls{0};
  s.server().Get("/flaky", [&](const httplib::Request&, httplib::Response& res) {
    int n = ++calls;
    if (n == 1) {
      res.status = 503;
      res.set_header("Retry-After", "1");
    } else if (n == 2) {
      res.status = 429;
    } else {
      res.set_content("ok", "text/plain");
    }
  });
  s.start();
  Client c(fast());
  Request r;
  r.url = s.base() + "/flaky";
  auto t0 = std::chrono::steady_clock::now();
  Response resp = c.send(r);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.attempts, 3);
  EXPECT_GE(elapsed, std::chrono::milliseconds(950));  // Retry-After: 1 was honoured
}

TEST(HttpClient, GivesUpAfterMaxRetries) {
  LoopbackServer s;
  std::atomic<int> calls{0};
  s.server().Get("/down", [&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 502;
  });
  s.start();
  Client c(fast());
  Request r;
  r.url = s.base() + "/down";
  EXPECT_EQ(c.send(r).status, 502);
  EXPECT_EQ(calls.load(), 4);
  r.retry = false;
  calls = 0;
  EXPECT_EQ(c.send(r).status, 502);
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpClient, ConnectionRefusedIsAnErrorWithoutSecrets) {
  int port = gantry::testing::free_port();
  Client c(fast());
  Request r;
  r.url = "http://127.0.0.1:" + std::to_string(port) + "/x?token=SECRET";
  r.headers.push_back({"Authorization", "Bearer SECRET"});
  try {
    c.send(r);
    FAIL();
  } catch (const gantry::Error& e) {
    EXPECT_EQ(e.str().find("SECRET"), std::string::npos) << e.str();
    EXPECT_NE(e.str().find("127.0.0.1"), std::string::npos) << e.str();
    EXPECT_EQ(e.code(), gantry::ExitCode::kExternal);
  }
}

TEST(HttpClient, SinkAndSizeLimit) {
  LoopbackServer s;
  std::string big(300000, 'z');
  s.server().Get("/big", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(big, "application/octet-stream");
  });
  s.start();
  Client c(fast());
  Request r;
  r.url = s.base() + "/big";
  std::string got;
  r.sink = [&](std::string_view chunk) { got.append(chunk); };
  uint64_t last_progress = 0;
  r.on_progress = [&](uint64_t b) { last_progress = b; };
  Response resp = c.send(r);
  EXPECT_EQ(resp.body, "");
  EXPECT_EQ(got, big);
  EXPECT_EQ(last_progress, big.size());
  r.max_body_bytes = 1000;
  got.clear();
  EXPECT_THROW(c.send(r), gantry::Error);
}

TEST(HttpClient, SinkErrorsAbort) {
  LoopbackServer s;
  s.server().Get("/x", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("abc", "text/plain");
  });
  s.start();
  Client c(fast());
  Request r;
  r.url = s.base() + "/x";
  r.sink = [](std::string_view) {
    throw gantry::Error("sink says no", gantry::ExitCode::kExternal);
  };
  try {
    c.send(r);
    FAIL();
  } catch (const gantry::Error& e) {
    EXPECT_EQ(e.why(), "sink says no");
  }
}

TEST(HttpClient, UploadsFromMemoryFileRangeAndStream) {
  LoopbackServer s;
  std::string received;
  std::string method;
  s.server().Put("/up", [&](const httplib::Request& req, httplib::Response& res) {
    received = req.body;
    method = "PUT";
    res.status = 201;
  });
  s.server().Patch("/up", [&](const httplib::Request& req, httplib::Response& res) {
    received = req.body;
    method = "PATCH";
    res.status = 202;
  });
  s.start();
  Client c(fast());
  Request r;
  r.method = "PUT";
  r.url = s.base() + "/up";
  r.body = Body::memory("memory body");
  EXPECT_EQ(c.send(r).status, 201);
  EXPECT_EQ(received, "memory body");

  gantry::testing::TempDir tmp;
  auto f = tmp.write("data", "0123456789");
  r.method = "PATCH";
  r.body = Body::file_range(f, 3, 4);
  EXPECT_EQ(c.send(r).status, 202);
  EXPECT_EQ(received, "3456");
  EXPECT_EQ(method, "PATCH");

  std::string src = "streamed!";
  size_t pos = 0;
  r.method = "PUT";
  r.body = Body::stream(
      [&](char* buf, size_t n) {
        size_t k = std::min(n, src.size() - pos);
        std::memcpy(buf, src.data() + pos, k);
        pos += k;
        return k;
      },
      src.size());
  EXPECT_EQ(c.send(r).status, 201);
  EXPECT_EQ(received, "streamed!");
}

TEST(HttpClient, RedirectsDropAuthorizationOnOtherHost) {
  LoopbackServer other;
  std::string seen_auth = "unset";
  other.server().Get("/blob", [&](const httplib::Request& req, httplib::Response& res) {
    seen_auth = req.get_header_value("Authorization");
    res.set_content("blob data", "application/octet-stream");
  });
  other.start();
  LoopbackServer s;
  s.server().Get("/v2/blob", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 307;
    res.set_header("Location", other.base() + "/blob");
  });
  s.start();
  Client c(fast());
  Request r;
  r.url = s.base() + "/v2/blob";
  r.headers.push_back({"Authorization", "Bearer secret"});
  r.follow_redirects = true;
  Response resp = c.send(r);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "blob data");
  EXPECT_EQ(seen_auth, "");
  r.follow_redirects = false;
  EXPECT_EQ(c.send(r).status, 307);
}

TEST(HttpClient, ParallelRequestsShareTheClient) {
  LoopbackServer s;
  s.server().Get("/n", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.get_param_value("i"), "text/plain");
  });
  s.start();
  Client c(fast());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        Request r;
        r.url = s.base() + "/n?i=" + std::to_string(t * 100 + i);
        if (c.send(r).body == std::to_string(t * 100 + i)) ++ok;
      }
    });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(ok.load(), 100);
}

TEST(HttpHelpers, ResolveUrl) {
  EXPECT_EQ(resolve_url("http://h:1/v2/a/blobs/uploads/", "/v2/a/blobs/uploads/uuid?_state=x"),
            "http://h:1/v2/a/blobs/uploads/uuid?_state=x");
  EXPECT_EQ(resolve_url("http://h:1/v2/x", "https://other/y"), "https://other/y");
  EXPECT_EQ(resolve_url("http://h:1/v2/a/b?q=1", "c"), "http://h:1/v2/a/c");
  EXPECT_EQ(resolve_url("https://h/a", "//g/x"), "https://g/x");
}

TEST(HttpHelpers, RetryAfterAndEncoding) {
  EXPECT_EQ(parse_retry_after("5"), std::chrono::milliseconds(5000));
  EXPECT_EQ(parse_retry_after(" 0 "), std::chrono::milliseconds(0));
  EXPECT_FALSE(parse_retry_after("soon"));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            std::chrono::milliseconds(0));  // in the past
  EXPECT_EQ(url_encode("repository:a/b:pull,push"), "repository%3Aa%2Fb%3Apull%2Cpush");
}
