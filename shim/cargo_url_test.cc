#include "shim/cargo_url.h"

#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credcache {
namespace {

using ::testing::HasSubstr;
// issue 13: tokens were kept under the index as written, a key cargo never
// asks for when it spells the URL otherwise. Each row is what cargo 1.95
// sent a credential provider as `index-url` for that `index` (admin_cli_test
// checks the same against the real cargo).
TEST(CargoUrlTest, SpellsTheIndexAsCargoDoes) {
  const std::pair<const char*, const char*> kCases[] = {
      {"sparse+http://[::ffff:127.0.0.1]:8080/index/", "sparse+http://[::ffff:7f00:1]:8080/index/"},
      {"http://[::ffff:127.0.0.1]:8080/index", "http://[::ffff:7f00:1]:8080/index"},
      {"sparse+https://[::FFFF:1.2.3.4]/x/", "sparse+https://[::ffff:102:304]/x/"},
      {"sparse+https://[1:0:0:2:0:0:0:3]/x/", "sparse+https://[1:0:0:2::3]/x/"},
      {"sparse+https://[1:0:0:2:0:0:3:4]/x/", "sparse+https://[1::2:0:0:3:4]/x/"},
      {"http://[0:0:0:0:0:0:0:1]/", "http://[::1]/"},
      {"https://[::1]:443/x", "https://[::1]/x"},
      {"sparse+http://[::1]:80/x/", "sparse+http://[::1]:80/x/"},
      // The scheme's case goes; a sparse URL's host and port stay as written.
      {"sparse+HTTPS://example.com:443/index/", "sparse+https://example.com:443/index/"},
      {"sparse+https://Example.COM/Index/", "sparse+https://Example.COM/Index/"},
      {"sparse+https://Exa%4dple.COM/", "sparse+https://Exa%4dple.COM/"},
      {"sparse+https://example.com:0443/x/", "sparse+https://example.com:443/x/"},
      {"sparse+https://example.com:/x/", "sparse+https://example.com/x/"},
      {"sparse+http://127.1/x/", "sparse+http://127.1/x/"},
      {"sparse+https://B\xc3\xbc"
       "cher.example/x/",
       "sparse+https://B%C3%BCcher.example/x/"},
      {"sparse+https://user@example.com/i/", "sparse+https://user@example.com/i/"},
      // An http(s) URL's host is lowercased, decoded, and an address dotted.
      {"https://EXAMPLE.com", "https://example.com/"},
      {"HTTPS://example.com:8443", "https://example.com:8443/"},
      {"https://Exa%4Dple.COM/", "https://example.com/"},
      {"https://example.com:0080/", "https://example.com:80/"},
      {"http://127.1/x", "http://127.0.0.1/x"},
      {"https://0x7f.1/x", "https://127.0.0.1/x"},
      {"https://0177.0.0.1/x", "https://127.0.0.1/x"},
      {"https://B\xc3\xbc"
       "cher.example/x",
       "https://xn--bcher-kva.example/x"},
      {"https://B\xc3\x9c"
       "CHER.example/",
       "https://xn--bcher-kva.example/"},
      {"https://\xc3\x9f.example/", "https://xn--zca.example/"},
      {"https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/"},
      {"https:example.com/x", "https://example.com/x"},
      {"https:/example.com/x", "https://example.com/x"},
      {"https://example.com\\a\\b", "https://example.com/a/b"},
      // Paths: dot segments resolved, what a URL cannot hold encoded.
      {"https://example.com:443/a/../b", "https://example.com/b"},
      {"sparse+https://example.com/a/../b/", "sparse+https://example.com/b/"},
      {"sparse+https://example.com/a/%2e%2E/b/", "sparse+https://example.com/b/"},
      {"https://example.com/x/.", "https://example.com/x/"},
      {"https://example.com/x/..", "https://example.com/"},
      {"https://ex%41mple.com/a b/", "https://example.com/a%20b/"},
      {"sparse+https://ex%41mple.com/a b/", "sparse+https://ex%41mple.com/a%20b/"},
      {"https://example.com/a^b|c[d]{e}`f\"g<h>i%zz%2e/",
       "https://example.com/a^b|c[d]%7Be%7D%60f%22g%3Ch%3Ei%zz%2e/"},
      {"https://example.com/x?a b\"c<", "https://example.com/x?a%20b%22c%3C"},
      {"https://example.com/x?a=B", "https://example.com/x?a=B"},
      {"https://example.com/.git/", "https://example.com/.git/"},
      {"  https://example.com/x ", "https://example.com/x"},
      {"git+https://example.com/x", "git+https://example.com/x"},
      {"file:///tmp/x", "file:///tmp/x"},
      {"sparse+file:///tmp/x/", "sparse+file:///tmp/x/"},
      {kCratesIoIndex, kCratesIoIndex},
  };
  for (const auto& [index, cargo] : kCases) {
    absl::StatusOr<std::string> url = CargoIndexUrl(index);
    ASSERT_TRUE(url.ok()) << index << ": " << url.status();
    EXPECT_EQ(*url, cargo) << index;
  }
}

TEST(CargoUrlTest, RefusesWhatCargoRefuses) {
  const std::pair<const char*, const char*> kCases[] = {
      {"sparse+https://example.com/index", "must end in a slash"},
      {"sparse+https://example.com", "must end in a slash"},
      {"sparse+https://example.com/a/./b/?q#f", "must end in a slash"},
      {"https://u:p@example.com/x", "may not contain passwords"},
      {"https://1.2.3.4.5/x", "invalid IPv4 address"},
      {"https://foo.0x10/x", "invalid IPv4 address"},
      {"https://256.1.1.1/x", "invalid IPv4 address"},
      {"https://example.com:99999/", "invalid port number"},
      {"sparse+https://ex ample.com/x/", "invalid domain character"},
      {"https://[::1/", "invalid IPv6 address"},
      {"https://[1:2:3:4:5:6:7:8:9]/", "invalid IPv6 address"},
      {"sparse+https:", "no host"},
      {"example.com/index/", "not a URL"},
      {"", "not a URL"},
  };
  for (const auto& [index, why] : kCases) {
    absl::StatusOr<std::string> url = CargoIndexUrl(index);
    ASSERT_FALSE(url.ok()) << index << " gave " << *url;
    EXPECT_THAT(std::string(url.status().message()), HasSubstr(why)) << index;
  }
}

// Found by the cargo_config fuzzer: a path that starts with "//" in a URL
// with no host read back as a host. The standard writes "/." before it.
TEST(CargoUrlTest, WhatItAcceptsReadsBackUnchanged) {
  absl::StatusOr<std::string> url = CargoIndexUrl("foo:/..//cargo:S//x");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(*url, "foo:/.//cargo:S//x");
  absl::StatusOr<std::string> again = CargoIndexUrl(*url);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *url);
}

}  // namespace
}  // namespace credcache
