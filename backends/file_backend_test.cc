#include "backends/file_backend.h"

#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "backends/test_support.h"
#include "cargo_credential/error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credcache {
namespace {

using cargo_credential::CacheKind;
using cargo_credential::CredentialResponse;
using cargo_credential::ErrorKind;
using cargo_credential::KindOf;
using cargo_credential::ResponseKind;
using credcache_testing::Describe;
using credcache_testing::Get;
using credcache_testing::Login;
using credcache_testing::Logout;
using credcache_testing::MakeTempDir;
using credcache_testing::Registry;
using credcache_testing::TestConfig;
using credcache_testing::WriteFile;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kUrlA[] = "sparse+https://a.example/index/";
constexpr char kUrlB[] = "sparse+https://b.example/index/";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int Mode(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) return -1;
  return static_cast<int>(info.st_mode & 07777);
}

class FileBackendTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }

  // The stored token for `url`, or "error KIND: MESSAGE".
  std::string TokenOf(FileBackend& backend, const std::string& url) {
    absl::StatusOr<CredentialResponse> got = backend.Perform(Registry(url), Get(), {});
    if (!got.ok()) {
      return absl::StrCat("error ", cargo_credential::ErrorKindName(KindOf(got.status())), ": ",
                          Describe(got.status()));
    }
    return got->token.Expose();
  }

  absl::Status LoginAs(FileBackend& backend, const std::string& url, const std::string& token) {
    absl::StatusOr<CredentialResponse> done = backend.Perform(Registry(url), Login(token), {});
    if (!done.ok()) return done.status();
    EXPECT_EQ(done->kind, ResponseKind::kLogin);
    return absl::OkStatus();
  }

  std::string dir_;
};

TEST_F(FileBackendTest, GetLoginLogoutRoundTrip) {
  FileBackend backend(dir_ + "/tokens.toml");
  absl::StatusOr<CredentialResponse> got = backend.Perform(Registry(kUrlA), Get(), {});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(KindOf(got.status()), ErrorKind::kNotFound);

  // Quotes, backslashes and control characters survive the file.
  const std::string token = "Bearer a \"quoted\" \\ back\tslash";
  ASSERT_TRUE(LoginAs(backend, kUrlA, token).ok());
  got = backend.Perform(Registry(kUrlA, "a"), Get(), {});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->kind, ResponseKind::kGet);
  EXPECT_EQ(got->token.Expose(), token);
  EXPECT_EQ(got->cache.kind, CacheKind::kSession);
  EXPECT_TRUE(got->operation_independent);

  absl::StatusOr<CredentialResponse> out = backend.Perform(Registry(kUrlA), Logout(), {});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->kind, ResponseKind::kLogout);
  got = backend.Perform(Registry(kUrlA), Get(), {});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(KindOf(got.status()), ErrorKind::kNotFound);
}

TEST_F(FileBackendTest, CreatesAPrivateFileAndItsDirectories) {
  const std::string path = dir_ + "/a/b/tokens.toml";
  FileBackend backend(path);
  ASSERT_TRUE(LoginAs(backend, kUrlA, "Bearer x").ok());
  EXPECT_EQ(Mode(path), 0600);
  EXPECT_EQ(Mode(dir_ + "/a"), 0700);
  EXPECT_EQ(Mode(dir_ + "/a/b"), 0700);
  EXPECT_EQ(ReadAll(path),
            "# credcache tokens, written by credcached. Keep this file private (0600).\n"
            "[tokens]\n"
            "\"sparse+https://a.example/index/\" = \"Bearer x\"\n");
}

TEST_F(FileBackendTest, ReadsAFileWrittenByHand) {
  const std::string path = dir_ + "/tokens.toml";
  WriteFile(path, absl::StrCat("# mine\n[tokens]\n\"", kUrlA, "\" = 'Bearer lit\\eral'  # note\n",
                               "\"", kUrlB, "\" = \"Bearer \\u0041\"\n"));
  FileBackend backend(path);
  EXPECT_EQ(TokenOf(backend, kUrlA), "Bearer lit\\eral");
  EXPECT_EQ(TokenOf(backend, kUrlB), "Bearer A");
}

TEST_F(FileBackendTest, AnEmptyOrMissingFileHoldsNoTokens) {
  FileBackend missing(dir_ + "/missing.toml");
  EXPECT_THAT(TokenOf(missing, kUrlA), StartsWith("error not-found"));
  WriteFile(dir_ + "/empty.toml", "");
  FileBackend empty(dir_ + "/empty.toml");
  EXPECT_THAT(TokenOf(empty, kUrlA), StartsWith("error not-found"));
}

TEST_F(FileBackendTest, RefusesAFileOthersCanRead) {
  const std::string path = dir_ + "/tokens.toml";
  WriteFile(path, absl::StrCat("[tokens]\n\"", kUrlA, "\" = \"Bearer x\"\n"), 0644);
  FileBackend backend(path);
  absl::StatusOr<CredentialResponse> got = backend.Perform(Registry(kUrlA), Get(), {});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(KindOf(got.status()), ErrorKind::kOther);
  EXPECT_THAT(Describe(got.status()), HasSubstr("chmod 600 " + path));
  // Nor does a login replace it behind the user's back.
  EXPECT_FALSE(LoginAs(backend, kUrlB, "Bearer y").ok());
  EXPECT_EQ(Mode(path), 0644);
}

TEST_F(FileBackendTest, MalformedTomlIsPlacedButNotQuoted) {
  const std::string path = dir_ + "/tokens.toml";
  WriteFile(path, absl::StrCat("[tokens]\n\"", kUrlA, "\" = \"Bearer s3cr3t\n"));
  FileBackend backend(path);
  absl::StatusOr<CredentialResponse> got = backend.Perform(Registry(kUrlA), Get(), {});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(KindOf(got.status()), ErrorKind::kOther);
  EXPECT_THAT(std::string(got.status().message()), StartsWith(path + ":2:"));
  EXPECT_THAT(Describe(got.status()), HasSubstr(": not valid TOML"));
  EXPECT_THAT(Describe(got.status()), Not(HasSubstr("s3cr3t")));
  // A login must not overwrite what the user has to repair.
  EXPECT_FALSE(LoginAs(backend, kUrlB, "Bearer y").ok());
}

TEST_F(FileBackendTest, ATokenThatIsNotAStringIsPlacedButNotQuoted) {
  const std::string path = dir_ + "/tokens.toml";
  WriteFile(path, absl::StrCat("[tokens]\n\"", kUrlB, "\" = \"Bearer b\"\n\"", kUrlA,
                               "\" = 123456789\n"));
  FileBackend backend(path);
  absl::StatusOr<CredentialResponse> got = backend.Perform(Registry(kUrlB), Get(), {});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(std::string(got.status().message()),
            absl::StrCat(path, ":3:1: the token for `", kUrlA, "` must be a string"));
  EXPECT_THAT(Describe(got.status()), Not(HasSubstr("123456789")));
}

TEST_F(FileBackendTest, OtherShapesAreRefusedWithoutQuotingValues) {
  const std::string path = dir_ + "/tokens.toml";
  FileBackend backend(path);
  // A token outside [tokens] would be dropped by the next write: refuse it.
  WriteFile(path, absl::StrCat("\"", kUrlA, "\" = \"Bearer s3cr3t\"\n"));
  absl::StatusOr<CredentialResponse> got = backend.Perform(Registry(kUrlA), Get(), {});
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(Describe(got.status()),
              StartsWith(absl::StrCat(path, ":1:1: unknown key `", kUrlA, "`")));
  EXPECT_THAT(Describe(got.status()), Not(HasSubstr("s3cr3t")));

  WriteFile(path, "tokens = \"s3cr3t\"\n");
  got = backend.Perform(Registry(kUrlA), Get(), {});
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(Describe(got.status()), StartsWith(path + ":1:10: `tokens` must be a table"));
  EXPECT_THAT(Describe(got.status()), Not(HasSubstr("s3cr3t")));
}

TEST_F(FileBackendTest, ATokenTheFileCannotHoldIsRefused) {
  FileBackend backend(dir_ + "/tokens.toml");
  ASSERT_TRUE(LoginAs(backend, kUrlA, "Bearer a \u00e9\U0001F511").ok());
  for (const char* bad : {"Bearer \xff", "Bearer \xc3", "Bearer \xc0\xaf", "Bearer \xed\xa0\x80"}) {
    absl::Status status = LoginAs(backend, kUrlB, bad);
    EXPECT_EQ(KindOf(status), ErrorKind::kOther);
    EXPECT_THAT(Describe(status), HasSubstr("not valid UTF-8"));
  }
  // The file stays readable, with what it held.
  EXPECT_EQ(TokenOf(backend, kUrlA), "Bearer a \u00e9\U0001F511");
  EXPECT_THAT(TokenOf(backend, kUrlB), StartsWith("error not-found"));
}

TEST_F(FileBackendTest, RegistriesAreKeptApart) {
  FileBackend backend(dir_ + "/tokens.toml");
  ASSERT_TRUE(LoginAs(backend, kUrlA, "Bearer a").ok());
  ASSERT_TRUE(LoginAs(backend, kUrlB, "Bearer b").ok());
  EXPECT_EQ(TokenOf(backend, kUrlA), "Bearer a");
  EXPECT_EQ(TokenOf(backend, kUrlB), "Bearer b");
  // The index URL is the key, exactly: no trailing-slash or prefix games.
  EXPECT_THAT(TokenOf(backend, "https://a.example/index/"), StartsWith("error not-found"));
  ASSERT_TRUE(LoginAs(backend, kUrlA, "Bearer a2").ok());
  EXPECT_EQ(TokenOf(backend, kUrlA), "Bearer a2");
  ASSERT_TRUE(backend.Perform(Registry(kUrlA), Logout(), {}).ok());
  EXPECT_THAT(TokenOf(backend, kUrlA), StartsWith("error not-found"));
  EXPECT_EQ(TokenOf(backend, kUrlB), "Bearer b");
}

TEST_F(FileBackendTest, LogoutOfAnAbsentTokenIsNotFound) {
  FileBackend backend(dir_ + "/tokens.toml");
  absl::StatusOr<CredentialResponse> out = backend.Perform(Registry(kUrlA), Logout(), {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(KindOf(out.status()), ErrorKind::kNotFound);
  ASSERT_TRUE(LoginAs(backend, kUrlB, "Bearer b").ok());
  out = backend.Perform(Registry(kUrlA), Logout(), {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(KindOf(out.status()), ErrorKind::kNotFound);
  EXPECT_EQ(TokenOf(backend, kUrlB), "Bearer b");
}

TEST_F(FileBackendTest, ConcurrentLoginsAllLand) {
  FileBackend backend(dir_ + "/tokens.toml");
  constexpr int kThreads = 16;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&backend, i] {
      const std::string url = absl::StrCat("sparse+https://r", i, ".example/index/");
      absl::StatusOr<CredentialResponse> done =
          backend.Perform(Registry(url), Login(absl::StrCat("Bearer t", i)), {});
      EXPECT_TRUE(done.ok()) << done.status();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(TokenOf(backend, absl::StrCat("sparse+https://r", i, ".example/index/")),
              absl::StrCat("Bearer t", i));
  }
}

TEST_F(FileBackendTest, UnknownActionsAreNotSupported) {
  FileBackend backend(dir_ + "/tokens.toml");
  cargo_credential::Action action;
  action.kind = cargo_credential::ActionKind::kUnknown;
  absl::StatusOr<CredentialResponse> done = backend.Perform(Registry(kUrlA), action, {});
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(KindOf(done.status()), ErrorKind::kOperationNotSupported);
}

// What a watch told, in order: an index URL, or "*" for possibly any.
class Told {
 public:
  StoreChanged Sink() {
    return [this](const std::optional<std::string>& index_url) {
      absl::MutexLock lock(&mutex_);
      told_.push_back(index_url.value_or("*"));
    };
  }
  // What was told since the last call.
  std::vector<std::string> Take() {
    absl::MutexLock lock(&mutex_);
    return std::exchange(told_, {});
  }

 private:
  absl::Mutex mutex_;
  std::vector<std::string> told_;
};

std::string TokenLine(const std::string& url, const std::string& token) {
  return absl::StrCat("\"", url, "\" = \"", token, "\"\n");
}

// As an editor saves: a new file beside it, renamed over it.
void SaveAsAnEditorDoes(const std::string& path, const std::string& contents) {
  WriteFile(path + ".swp", contents);
  ASSERT_EQ(rename((path + ".swp").c_str(), path.c_str()), 0);
}

// The watch's thread may tell a change before CatchUp() does; after
// CatchUp() returns, every change made before it was told, by one or the
// other: no waiting and no timing in these tests.
class FileWatchTest : public FileBackendTest {
 protected:
  void SetUp() override {
    FileBackendTest::SetUp();
    path_ = dir_ + "/data/tokens.toml";
    backend_ = std::make_unique<FileBackend>(path_);
  }

  std::unique_ptr<StoreWatch> Watch() {
    absl::StatusOr<std::unique_ptr<StoreWatch>> watch = backend_->Watch(told_.Sink());
    EXPECT_TRUE(watch.ok()) << watch.status();
    return watch.ok() ? *std::move(watch) : nullptr;
  }

  // What a change told, once caught up. (Behind() may still say true for
  // a moment: the thread may be draining the events CatchUp() handled.)
  std::vector<std::string> AfterCatchUp(StoreWatch& watch) {
    watch.CatchUp();
    return told_.Take();
  }

  std::string path_;
  std::unique_ptr<FileBackend> backend_;
  Told told_;
};

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_F(FileWatchTest, TellsTheRegistriesWhoseTokensChangedCameOrWent) {
  ASSERT_EQ(mkdir((dir_ + "/data").c_str(), 0700), 0);
  WriteFile(path_, absl::StrCat("[tokens]\n", TokenLine(kUrlA, "Bearer a1"),
                                TokenLine(kUrlB, "Bearer b1")));
  std::unique_ptr<StoreWatch> watch = Watch();
  ASSERT_NE(watch, nullptr);
  EXPECT_FALSE(watch->Behind());
  EXPECT_THAT(AfterCatchUp(*watch), IsEmpty());

  // A's token fixed by hand, B's left alone.
  SaveAsAnEditorDoes(path_, absl::StrCat("[tokens]\n", TokenLine(kUrlA, "Bearer a2"),
                                         TokenLine(kUrlB, "Bearer b1")));
  EXPECT_THAT(AfterCatchUp(*watch), ElementsAre(kUrlA));
  EXPECT_EQ(TokenOf(*backend_, kUrlA), "Bearer a2");
  // A comment, or the same tokens written again, changes no token.
  SaveAsAnEditorDoes(path_, absl::StrCat("# by hand\n[tokens]\n", TokenLine(kUrlB, "Bearer b1"),
                                         TokenLine(kUrlA, "Bearer a2")));
  EXPECT_THAT(AfterCatchUp(*watch), IsEmpty());
  // B removed, C added.
  const std::string url_c = "sparse+https://c.example/index/";
  SaveAsAnEditorDoes(path_, absl::StrCat("[tokens]\n", TokenLine(kUrlA, "Bearer a2"),
                                         TokenLine(url_c, "Bearer c1")));
  EXPECT_THAT(AfterCatchUp(*watch), ElementsAre(kUrlB, url_c));
  // Removed altogether: every token it held went.
  ASSERT_EQ(unlink(path_.c_str()), 0);
  EXPECT_THAT(AfterCatchUp(*watch), ElementsAre(kUrlA, url_c));
}

TEST_F(FileWatchTest, CatchUpTellsAChangeBeforeItReturns) {
  std::unique_ptr<StoreWatch> watch = Watch();
  ASSERT_NE(watch, nullptr);
  ASSERT_EQ(mkdir((dir_ + "/data").c_str(), 0700), 0);
  EXPECT_THAT(AfterCatchUp(*watch), IsEmpty());
  for (int i = 0; i < 50; ++i) {
    const std::string token = absl::StrCat("Bearer t", i);
    SaveAsAnEditorDoes(path_, absl::StrCat("[tokens]\n", TokenLine(kUrlA, token)));
    watch->CatchUp();
    // Told by CatchUp, or by the thread before it: either way, told now.
    EXPECT_THAT(told_.Take(), ElementsAre(kUrlA)) << i;
    EXPECT_EQ(TokenOf(*backend_, kUrlA), token);
  }
}

TEST_F(FileWatchTest, ItsOwnWritesTellTheirRegistryAlone) {
  std::unique_ptr<StoreWatch> watch = Watch();
  ASSERT_NE(watch, nullptr);
  ASSERT_TRUE(LoginAs(*backend_, kUrlA, "Bearer a").ok());
  EXPECT_THAT(AfterCatchUp(*watch), ElementsAre(kUrlA));
  ASSERT_TRUE(LoginAs(*backend_, kUrlB, "Bearer b").ok());
  EXPECT_THAT(AfterCatchUp(*watch), ElementsAre(kUrlB));
  ASSERT_TRUE(backend_->Perform(Registry(kUrlA), Logout(), {}).ok());
  EXPECT_THAT(AfterCatchUp(*watch), ElementsAre(kUrlA));
}

// A token changed and put back between two reads of the watch: what a get
// answered in between is what the cache holds, and it is stale. Whether the
// watch's thread reads between the writes is its own affair; A is told
// either way (once per read that saw it differ), and never nothing.
TEST_F(FileWatchTest, ATokenPutBackIsStillAChangeWhenAGetSawTheOtherOne) {
  ASSERT_EQ(mkdir((dir_ + "/data").c_str(), 0700), 0);
  const std::string before = absl::StrCat("[tokens]\n", TokenLine(kUrlA, "Bearer a1"));
  WriteFile(path_, before);
  std::unique_ptr<StoreWatch> watch = Watch();
  ASSERT_NE(watch, nullptr);
  SaveAsAnEditorDoes(path_, absl::StrCat("[tokens]\n", TokenLine(kUrlA, "Bearer a2")));
  EXPECT_EQ(TokenOf(*backend_, kUrlA), "Bearer a2");
  SaveAsAnEditorDoes(path_, before);
  const std::vector<std::string> told = AfterCatchUp(*watch);
  EXPECT_FALSE(told.empty());
  for (const std::string& url : told) EXPECT_EQ(url, kUrlA);
}

TEST_F(FileWatchTest, AFileThatCannotBeReadTellsEverythingAndSoDoesItsRepair) {
  ASSERT_EQ(mkdir((dir_ + "/data").c_str(), 0700), 0);
  const std::string good = absl::StrCat("[tokens]\n", TokenLine(kUrlA, "Bearer a1"));
  WriteFile(path_, good);
  std::unique_ptr<StoreWatch> watch = Watch();
  ASSERT_NE(watch, nullptr);
  // Readable by others: gets fail, and no copy may outlive that.
  ASSERT_EQ(chmod(path_.c_str(), 0644), 0);
  EXPECT_THAT(AfterCatchUp(*watch), ElementsAre("*"));
  ASSERT_EQ(chmod(path_.c_str(), 0600), 0);
  EXPECT_THAT(AfterCatchUp(*watch), ElementsAre("*"));
  // Malformed, then whole again. (Written in place, the thread could read
  // it halfway, and tell what it saw then too.)
  SaveAsAnEditorDoes(path_, "[tokens]\n\"sparse+https://a.example/index/\" = \"Bear");
  EXPECT_THAT(AfterCatchUp(*watch), ElementsAre("*"));
  SaveAsAnEditorDoes(path_, good);
  EXPECT_THAT(AfterCatchUp(*watch), ElementsAre("*"));
  EXPECT_THAT(AfterCatchUp(*watch), IsEmpty());
  // Replaced by a link (never followed): as unreadable.
  const std::string elsewhere = dir_ + "/elsewhere.toml";
  WriteFile(elsewhere, good);
  ASSERT_EQ(symlink(elsewhere.c_str(), (path_ + ".lnk").c_str()), 0);
  ASSERT_EQ(rename((path_ + ".lnk").c_str(), path_.c_str()), 0);
  EXPECT_THAT(AfterCatchUp(*watch), ElementsAre("*"));
  EXPECT_THAT(TokenOf(*backend_, kUrlA), StartsWith("error other"));
}

TEST_F(FileWatchTest, ItsDirectoryRemovedAndMadeAgain) {
  ASSERT_EQ(mkdir((dir_ + "/data").c_str(), 0700), 0);
  WriteFile(path_, absl::StrCat("[tokens]\n", TokenLine(kUrlA, "Bearer a1")));
  std::unique_ptr<StoreWatch> watch = Watch();
  ASSERT_NE(watch, nullptr);
  ASSERT_EQ(unlink(path_.c_str()), 0);
  ASSERT_EQ(rmdir((dir_ + "/data").c_str()), 0);
  EXPECT_THAT(AfterCatchUp(*watch), ElementsAre(kUrlA));
  ASSERT_TRUE(LoginAs(*backend_, kUrlB, "Bearer b").ok());  // Makes the directory again.
  EXPECT_THAT(AfterCatchUp(*watch), ElementsAre(kUrlB));
  SaveAsAnEditorDoes(path_, absl::StrCat("[tokens]\n", TokenLine(kUrlB, "Bearer b2")));
  EXPECT_THAT(AfterCatchUp(*watch), ElementsAre(kUrlB));
}

TEST_F(FileWatchTest, ManyRegistriesChangedAtOnceAreOneChangeOfAny) {
  std::unique_ptr<StoreWatch> watch = Watch();
  ASSERT_NE(watch, nullptr);
  std::string contents = "[tokens]\n";
  for (int i = 0; i < 40; ++i) {
    contents += TokenLine(absl::StrCat("sparse+https://r", i, ".example/index/"), "Bearer x");
  }
  ASSERT_EQ(mkdir((dir_ + "/data").c_str(), 0700), 0);
  SaveAsAnEditorDoes(path_, contents);
  EXPECT_THAT(AfterCatchUp(*watch), ElementsAre("*"));
}

// Writers hammer the file while gets read it and callers catch up: nothing
// crashes or hangs, and once the writers stop, the last token is what is
// read and a last catch-up leaves nothing behind.
TEST_F(FileWatchTest, RapidWritesWhileCatchingUp) {
  ASSERT_EQ(mkdir((dir_ + "/data").c_str(), 0700), 0);
  std::unique_ptr<StoreWatch> watch = Watch();
  ASSERT_NE(watch, nullptr);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int writer = 0; writer < 2; ++writer) {
    threads.emplace_back([this, writer] {
      for (int i = 0; i < 300; ++i) {
        const std::string name = absl::StrCat(path_, ".", writer);
        WriteFile(name, absl::StrCat("[tokens]\n", TokenLine(kUrlA, absl::StrCat("Bearer ", i))));
        rename(name.c_str(), path_.c_str());
      }
    });
  }
  std::thread reader([this, &watch, &stop] {
    while (!stop) {
      watch->CatchUp();
      TokenOf(*backend_, kUrlA);
    }
  });
  for (std::thread& thread : threads) thread.join();
  stop = true;
  reader.join();
  watch->CatchUp();
  told_.Take();
  EXPECT_EQ(TokenOf(*backend_, kUrlA), "Bearer 299");
  EXPECT_THAT(AfterCatchUp(*watch), IsEmpty());
}

TEST_F(FileWatchTest, OneWatchAtATimeAndNoneAfterItGoes) {
  std::unique_ptr<StoreWatch> watch = Watch();
  ASSERT_NE(watch, nullptr);
  absl::StatusOr<std::unique_ptr<StoreWatch>> second = backend_->Watch(told_.Sink());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  watch.reset();
  ASSERT_TRUE(LoginAs(*backend_, kUrlA, "Bearer a").ok());
  EXPECT_THAT(told_.Take(), IsEmpty());
  watch = Watch();
  ASSERT_NE(watch, nullptr);
  EXPECT_THAT(AfterCatchUp(*watch), IsEmpty());
}

// The factory and its `path` option. These change HOME and XDG_DATA_HOME,
// which nothing else in this test reads.
class MakeFileBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = MakeTempDir();
    setenv("HOME", home_.c_str(), 1);
    unsetenv("XDG_DATA_HOME");
  }

  // The path the factory settles on, or the error as text.
  std::string PathFor(const std::string& body) {
    TestConfig config(body);
    absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> made =
        MakeFileBackend(config.Options());
    if (!made.ok()) return absl::StrCat("error: ", Describe(made.status()));
    return static_cast<FileBackend&>(**made).path();
  }

  std::string home_;
};

TEST_F(MakeFileBackendTest, PathOption) {
  EXPECT_EQ(PathFor("path = \"/srv/tokens.toml\""), "/srv/tokens.toml");
  EXPECT_EQ(PathFor("path = \"~/t/tokens.toml\""), home_ + "/t/tokens.toml");
  EXPECT_EQ(PathFor("path = \"tokens.toml\""),
            "error: credcache.toml:2:8: backend `test`: `path` must be an absolute path or "
            "start with \"~/\"");
  EXPECT_THAT(PathFor("path = true"), HasSubstr("`path` must be a string"));
}

TEST_F(MakeFileBackendTest, DefaultPath) {
  EXPECT_EQ(PathFor(""), home_ + "/.local/share/credcache/tokens.toml");
  setenv("XDG_DATA_HOME", "/data", 1);
  EXPECT_EQ(PathFor(""), "/data/credcache/tokens.toml");
  unsetenv("XDG_DATA_HOME");
  // Without HOME (a bare service environment), the password database knows.
  unsetenv("HOME");
  const std::string home = getpwuid(getuid())->pw_dir;
  EXPECT_EQ(PathFor(""), home + "/.local/share/credcache/tokens.toml");
  EXPECT_EQ(PathFor("path = \"~/x\""), home + "/x");
}

}  // namespace
}  // namespace credcache
