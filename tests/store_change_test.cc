// A store changed behind credcached's back: the token file edited by hand
// (or by a script), as real processes see it. The cached copy goes at once,
// so the next get through the shim answers the new token; every way the file
// can change, including the ways that break it, and the daemon's own writes;
// and the real cargo, rejected with a wrong token, then fine once the file
// is fixed. (The keyring's side is in keyring_test, which has one.)
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/cargo_sandbox.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/registry_server.h"
#include "tests/support/test_env.h"

namespace credcache_testing {
namespace {

using cargo_credential::SubprocessResult;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUrl[] = "sparse+http://127.0.0.1:9/index/";

std::string UrlOf(int i) { return absl::StrCat("sparse+http://127.0.0.1:9/r", i, "/index/"); }

std::string TokenLine(const std::string& url, const std::string& token) {
  return absl::StrCat("\"", url, "\" = \"", token, "\"\n");
}

class StoreChangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = env_.root() + "/store";
    path_ = dir_ + "/tokens.toml";
    ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
    env_.WriteConfig(absl::StrCat("[[backend]]\nkind = \"file\"\npath = \"", path_, "\"\n"));
  }

  // As an editor saves: a new file beside it, renamed over it.
  void Save(const std::string& contents) {
    WriteFile(path_ + "~", contents);
    ASSERT_EQ(rename((path_ + "~").c_str(), path_.c_str()), 0);
  }
  void SaveTokens(const std::string& lines) { Save(absl::StrCat("[tokens]\n", lines)); }

  // The answer line of one get through the shim.
  std::string Get(const std::string& url = kUrl) {
    return AnswerLine(env_.Shim({"--cargo-plugin"}, GetRequestLine(url)));
  }

  // Gets until the answer holds `expected`, for at most 30 s (a deadline for
  // a broken build, not a timing: it is the first get that should answer).
  // How many gets it took, or 0 when none did.
  int GetsUntil(const std::string& expected, const std::string& url = kUrl) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    for (int gets = 1; absl::Now() < deadline; ++gets) {
      last_ = Get(url);
      if (absl::StrContains(last_, expected)) return gets;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return 0;
  }

  size_t Cached() {
    nlohmann::json listed = nlohmann::json::parse(env_.Shim({"list", "--json"}).stdout_text);
    return listed["entries"].size();
  }

  DaemonEnv env_;
  std::string dir_;
  std::string path_;
  std::string last_;  // The last answer GetsUntil saw.
};

// The issue: a token fixed by hand in tokens.toml was shadowed by the cached
// wrong one for up to 30 minutes. Its write returned before the next get
// began, and the daemon sees a write as soon as it returned: the very next
// get answers the new token.
TEST_F(StoreChangeTest, ATokenFixedByHandIsTheNextGetsAnswer) {
  SaveTokens(TokenLine(kUrl, "Bearer wrong-one"));
  EXPECT_THAT(Get(), HasSubstr("Bearer wrong-one"));
  EXPECT_THAT(Get(), HasSubstr("Bearer wrong-one"));
  EXPECT_EQ(Cached(), 1u);
  for (int i = 0; i < 5; ++i) {
    const std::string token = absl::StrCat("Bearer fixed-", i);
    SaveTokens(TokenLine(kUrl, token));
    EXPECT_EQ(GetsUntil(token), 1) << last_;
    EXPECT_THAT(Get(), HasSubstr(token));  // Cached again.
  }
  const std::string log = ReadFile(env_.log());
  EXPECT_THAT(log, HasSubstr(absl::StrCat("backend `file`: the token for ", kUrl,
                                          " changed in its store; dropped 1 cached token(s)")));
  EXPECT_THAT(log, Not(HasSubstr("Bearer")));
}

// What the daemon writes itself (cargo login and logout through it) drops
// that registry alone, which it drops anyway: no storm of misses for the
// others. And a file replaced with many changes drops them all at once.
TEST_F(StoreChangeTest, ItsOwnWritesDropTheirRegistryAlone) {
  std::string lines;
  for (int i = 0; i < 5; ++i) lines += TokenLine(UrlOf(i), absl::StrCat("Bearer r", i));
  SaveTokens(lines);
  for (int i = 0; i < 5; ++i) EXPECT_THAT(Get(UrlOf(i)), HasSubstr(absl::StrCat("Bearer r", i)));
  EXPECT_EQ(Cached(), 5u);
  SubprocessResult login =
      env_.Shim({"--cargo-plugin"},
                absl::StrCat(R"({"v":1,"registry":{"index-url":")", UrlOf(0),
                             R"(","name":"myreg"},"kind":"login","token":"Bearer new-r0"})", "\n"));
  EXPECT_EQ(AnswerLine(login), R"({"Ok":{"kind":"login"}})") << login.stderr_text;
  EXPECT_THAT(Get(UrlOf(0)), HasSubstr("Bearer new-r0"));
  EXPECT_EQ(Cached(), 5u) << "the other four stayed cached";

  // All forty at once, each changed: one change of everything, one line.
  lines.clear();
  for (int i = 0; i < 40; ++i) lines += TokenLine(UrlOf(i), absl::StrCat("Bearer x", i));
  SaveTokens(lines);
  EXPECT_EQ(GetsUntil("Bearer x1", UrlOf(1)), 1) << last_;
  EXPECT_THAT(ReadFile(env_.log()),
              HasSubstr("backend `file`: its tokens changed in its store; dropped 5"));
}

// Every way the file can change, the ways that break it included: the
// next get follows the file, an error while it is broken (never the old
// copy), and the token again once it is repaired. The daemon lives on.
TEST_F(StoreChangeTest, EveryWayTheFileCanChange) {
  const std::string good = absl::StrCat("[tokens]\n", TokenLine(kUrl, "Bearer good"));
  Save(good);
  EXPECT_THAT(Get(), HasSubstr("Bearer good"));

  // Written in place (not renamed): a reader may see it halfway, so wait
  // for the whole.
  WriteFile(path_, absl::StrCat("[tokens]\n", TokenLine(kUrl, "Bearer in-place")));
  EXPECT_GT(GetsUntil("Bearer in-place"), 0) << last_;
  // Removed: not found (and so no copy).
  ASSERT_EQ(unlink(path_.c_str()), 0);
  EXPECT_EQ(GetsUntil("not-found"), 1) << last_;
  // Back, then made readable by others: refused, and no copy answers.
  Save(good);
  EXPECT_EQ(GetsUntil("Bearer good"), 1) << last_;
  ASSERT_EQ(chmod(path_.c_str(), 0644), 0);
  EXPECT_EQ(GetsUntil("chmod 600"), 1) << last_;
  ASSERT_EQ(chmod(path_.c_str(), 0600), 0);
  EXPECT_EQ(GetsUntil("Bearer good"), 1) << last_;
  // Replaced by a link to a file of good tokens: links are never followed.
  const std::string elsewhere = env_.root() + "/elsewhere.toml";
  WriteFile(elsewhere, absl::StrCat("[tokens]\n", TokenLine(kUrl, "Bearer via-link")));
  ASSERT_EQ(symlink(elsewhere.c_str(), (path_ + ".lnk").c_str()), 0);
  ASSERT_EQ(rename((path_ + ".lnk").c_str(), path_.c_str()), 0);
  EXPECT_EQ(GetsUntil("\"Err\""), 1) << last_;
  EXPECT_THAT(last_, Not(HasSubstr("Bearer")));
  // Malformed, then repaired.
  Save("[tokens]\n\"sparse+http://127.0.0.1:9/index/\" = \"Bearer half");
  EXPECT_EQ(GetsUntil("not valid TOML"), 1) << last_;
  Save(good);
  EXPECT_EQ(GetsUntil("Bearer good"), 1) << last_;
  // Its directory removed, then made again with another token.
  ASSERT_EQ(system(absl::StrCat("rm -rf '", dir_, "'").c_str()), 0);
  EXPECT_EQ(GetsUntil("not-found"), 1) << last_;
  ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
  SaveTokens(TokenLine(kUrl, "Bearer reborn"));
  EXPECT_EQ(GetsUntil("Bearer reborn"), 1) << last_;
  // Its directory renamed away, another put in its place.
  ASSERT_EQ(rename(dir_.c_str(), (dir_ + ".old").c_str()), 0);
  EXPECT_EQ(GetsUntil("not-found"), 1) << last_;
  ASSERT_EQ(mkdir((dir_ + ".new").c_str(), 0700), 0);
  WriteFile(dir_ + ".new/tokens.toml", absl::StrCat("[tokens]\n", TokenLine(kUrl, "Bearer moved")));
  ASSERT_EQ(rename((dir_ + ".new").c_str(), dir_.c_str()), 0);
  EXPECT_EQ(GetsUntil("Bearer moved"), 1) << last_;
  EXPECT_TRUE(env_.DaemonRunning());
  EXPECT_THAT(ReadFile(env_.log()), Not(HasSubstr("Bearer")));
}

// A token added to the file shadows what a backend after it answered.
TEST_F(StoreChangeTest, ATokenAddedToTheFileShadowsTheNextBackend) {
  const std::string script = env_.root() + "/token.sh";
  WriteFile(script, "#!/bin/sh\necho 'Bearer from-command'\n", 0700);
  env_.WriteConfig(absl::StrCat("[[backend]]\nkind = \"file\"\npath = \"", path_,
                                "\"\n[[backend]]\nkind = \"command\"\nindex_urls = [\"*\"]\n",
                                "command = [\"", script, "\"]\n"));
  EXPECT_THAT(Get(), HasSubstr("Bearer from-command"));
  EXPECT_THAT(Get(), HasSubstr("Bearer from-command"));
  SaveTokens(TokenLine(kUrl, "Bearer from-file"));
  EXPECT_EQ(GetsUntil("Bearer from-file"), 1) << last_;
  ASSERT_EQ(unlink(path_.c_str()), 0);
  EXPECT_EQ(GetsUntil("Bearer from-command"), 1) << last_;
}

// Writers replace the file as fast as they can while shims get: every
// answer is a whole token, and once the writers stop, the next get answers
// the last one written.
TEST_F(StoreChangeTest, RapidWritesWhileCargoAsks) {
  SaveTokens(TokenLine(kUrl, "Bearer v-start"));
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    for (int i = 0; i < 400; ++i) {
      const std::string name = absl::StrCat(path_, ".w");
      WriteFile(name, absl::StrCat("[tokens]\n", TokenLine(kUrl, absl::StrCat("Bearer v-", i))));
      rename(name.c_str(), path_.c_str());
    }
    writing = false;
  });
  std::vector<std::thread> askers;
  std::atomic<int> answered{0};
  for (int i = 0; i < 4; ++i) {
    askers.emplace_back([&] {
      while (writing) {
        const std::string answer = Get();
        EXPECT_THAT(answer, HasSubstr("Bearer v-"));
        ++answered;
      }
    });
  }
  writer.join();
  for (std::thread& asker : askers) asker.join();
  EXPECT_GT(answered.load(), 0);
  EXPECT_EQ(GetsUntil("Bearer v-399"), 1) << last_;
  EXPECT_TRUE(env_.DaemonRunning());
}

// The issue as a user met it, with the real cargo: a wrong token in the
// file, the registry rejects it; fixed by hand, the next cargo command works.
TEST(StoreChangeCargoTest, CargoWorksAsSoonAsTheFileIsFixed) {
  DaemonEnv env;
  CargoSandbox cargo;
  const std::string token = RandomToken();
  absl::StatusOr<std::unique_ptr<RegistryServer>> registry = RegistryServer::Start(token);
  ASSERT_TRUE(registry.ok()) << registry.status();
  const std::string path = env.root() + "/tokens.toml";
  env.WriteConfig(absl::StrCat("[[backend]]\nkind = \"file\"\npath = \"", path, "\"\n"));
  cargo.SetEnv(env.Environment());
  cargo.WriteConfig(absl::StrCat("[registries.myreg]\nindex = \"", (*registry)->index_url(),
                                 "\"\ncredential-provider = [\"", DaemonEnv::ShimPath(),
                                 "\"]\n\n[net]\nretry = 0\n"));
  WriteFile(path, absl::StrCat("[tokens]\n", TokenLine((*registry)->index_url(), "Bearer wrong")));
  const std::string foo = cargo.NewCrate("foo", "myreg");
  absl::StatusOr<SubprocessResult> rejected =
      cargo.Cargo({"publish", "--registry", "myreg", "--no-verify", "--allow-dirty"}, foo);
  ASSERT_TRUE(rejected.ok());
  EXPECT_NE(rejected->exit_code, 0);
  EXPECT_THAT(env.Shim({"list"}).stdout_text, HasSubstr((*registry)->index_url()));

  WriteFile(path + "~", absl::StrCat("[tokens]\n", TokenLine((*registry)->index_url(), token)));
  ASSERT_EQ(rename((path + "~").c_str(), path.c_str()), 0);
  absl::StatusOr<SubprocessResult> published =
      cargo.Cargo({"publish", "--registry", "myreg", "--no-verify", "--allow-dirty"}, foo);
  ASSERT_TRUE(published.ok());
  EXPECT_EQ(published->exit_code, 0) << published->stderr_text;
}

}  // namespace
}  // namespace credcache_testing
