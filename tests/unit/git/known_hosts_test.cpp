// check_host_key against known_hosts files written the way OpenSSH writes
// them: keys made by ssh-keygen, names hashed by `ssh-keygen -H`, and entries
// looked up by `ssh-keygen -F` as the reference for which host an entry names.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/base64.h"
#include "core/file.h"
#include "core/process.h"
#include "git/known_hosts.h"
#include "support/fixtures.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;
using git::HostKeyStatus;

struct Key {
  std::string line;  // "ssh-ed25519 AAAA..." (type and base64, no comment)
  std::string blob;  // the decoded wire-format key
  std::string fingerprint;
};

Key make_key(const fs::path& dir, const std::string& name, const std::string& type) {
  fs::path f = dir / name;
  ProcessResult r =
      run_process({"ssh-keygen", "-q", "-t", type, "-N", "", "-C", "test", "-f", f.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string pub = read_file(f.string() + ".pub");
  size_t sp1 = pub.find(' '), sp2 = pub.find(' ', sp1 + 1);
  Key k;
  k.line = pub.substr(0, sp2);
  k.blob = base64_decode(pub.substr(sp1 + 1, sp2 - sp1 - 1)).value_or("");
  ProcessResult l = run_process({"ssh-keygen", "-l", "-f", f.string() + ".pub"});
  size_t a = l.out.find(' '), b = l.out.find(' ', a + 1);
  k.fingerprint = l.out.substr(a + 1, b - a - 1);
  return k;
}

class KnownHosts : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!find_program("ssh-keygen")) GTEST_SKIP() << "ssh-keygen is not installed";
    ed = make_key(dir.path(), "ed", "ed25519");
    ed2 = make_key(dir.path(), "ed2", "ed25519");
    ec = make_key(dir.path(), "ec", "ecdsa");
  }
  HostKeyStatus status(const std::string& text, const std::string& host, int port, const Key& k) {
    return git::check_host_key(text, host, port, k.blob).status;
  }
  TempDir dir;
  Key ed, ed2, ec;
};

TEST_F(KnownHosts, PlainNamesPortsAndPatterns) {
  std::string text =
      "# comment\n\n"
      "git.example.com,10.0.0.1 " +
      ed.line +
      " a comment\n"
      "[127.0.0.1]:2222 " +
      ed2.line +
      "\n"
      "*.corp.example,!bad.corp.example " +
      ec.line + "\n";
  EXPECT_EQ(status(text, "git.example.com", 22, ed), HostKeyStatus::kMatch);
  EXPECT_EQ(status(text, "GIT.Example.com", 22, ed), HostKeyStatus::kMatch);
  EXPECT_EQ(status(text, "10.0.0.1", 22, ed), HostKeyStatus::kMatch);
  // A port other than 22 is only found as [host]:port.
  EXPECT_EQ(status(text, "git.example.com", 2222, ed), HostKeyStatus::kUnknown);
  EXPECT_EQ(status(text, "127.0.0.1", 2222, ed2), HostKeyStatus::kMatch);
  EXPECT_EQ(status(text, "127.0.0.1", 22, ed2), HostKeyStatus::kUnknown);
  // Same type, different key: a mismatch (the dangerous case).
  EXPECT_EQ(status(text, "127.0.0.1", 2222, ed), HostKeyStatus::kMismatch);
  EXPECT_EQ(status(text, "git.example.com", 22, ed2), HostKeyStatus::kMismatch);
  // Only a key of another type is known: unknown for this type.
  EXPECT_EQ(status(text, "git.example.com", 22, ec), HostKeyStatus::kUnknown);
  EXPECT_EQ(status(text, "a.corp.example", 22, ec), HostKeyStatus::kMatch);
  EXPECT_EQ(status(text, "bad.corp.example", 22, ec), HostKeyStatus::kUnknown);
  EXPECT_EQ(status(text, "other.example", 22, ed), HostKeyStatus::kUnknown);
}

TEST_F(KnownHosts, HashedNamesAsWrittenBySshKeygen) {
  fs::path file = dir.write("known_hosts",
                            "[127.0.0.1]:2222 " + ed.line + "\ngit.example.com " + ec.line + "\n");
  ProcessResult r = run_process({"ssh-keygen", "-H", "-f", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string text = read_file(file);
  ASSERT_EQ(text.find("127.0.0.1"), std::string::npos) << text;
  ASSERT_NE(text.find("|1|"), std::string::npos) << text;
  // ssh-keygen -F agrees on which names the hashed entries hold.
  EXPECT_EQ(run_process({"ssh-keygen", "-F", "[127.0.0.1]:2222", "-f", file.string()}).exit_code,
            0);
  EXPECT_EQ(git::check_host_key_file(file, "127.0.0.1", 2222, ed.blob).status,
            HostKeyStatus::kMatch);
  EXPECT_EQ(git::check_host_key_file(file, "127.0.0.1", 2222, ed2.blob).status,
            HostKeyStatus::kMismatch);
  EXPECT_EQ(git::check_host_key_file(file, "127.0.0.1", 2223, ed.blob).status,
            HostKeyStatus::kUnknown);
  EXPECT_EQ(git::check_host_key_file(file, "git.example.com", 22, ec.blob).status,
            HostKeyStatus::kMatch);
}

TEST_F(KnownHosts, RevokedKeysAreRefusedEvenWhenListed) {
  std::string text = "host " + ed.line + "\n@revoked * " + ed.line + "\n";
  EXPECT_EQ(status(text, "host", 22, ed), HostKeyStatus::kRevoked);
  EXPECT_EQ(status(text, "host", 22, ed2), HostKeyStatus::kMismatch);
  // @cert-authority lines are not host keys.
  EXPECT_EQ(status("@cert-authority * " + ed.line + "\n", "host", 22, ed), HostKeyStatus::kUnknown);
}

TEST_F(KnownHosts, BrokenLinesAreSkippedAndAMissingFileKnowsNothing) {
  std::string text = "host\nhost ssh-ed25519\nhost ssh-ed25519 !!notbase64!!\nhost ssh-rsa " +
                     ed.line.substr(ed.line.find(' ') + 1) + "\nhost " + ed.line + "\n";
  EXPECT_EQ(status(text, "host", 22, ed), HostKeyStatus::kMatch);
  EXPECT_EQ(git::check_host_key_file(dir.path() / "missing", "host", 22, ed.blob).status,
            HostKeyStatus::kUnknown);
}

TEST_F(KnownHosts, ReportsTypeAndFingerprintLikeSshKeygen) {
  auto c = git::check_host_key("", "host", 22, ed.blob);
  EXPECT_EQ(c.key_type, "ssh-ed25519");
  EXPECT_EQ(c.fingerprint, ed.fingerprint);
  EXPECT_EQ(git::check_host_key("", "host", 22, ec.blob).fingerprint, ec.fingerprint);
}

}  // namespace
}  // namespace gantry::testing
