// Tag policies and Flux setters against the real registry (Debian
// docker-registry on a free port): one tiny image pushed once and tagged
// many times (more tags than one page), then `gantry tags --policy` and
// `gantry update --policies` for each policy kind, and bad input that must
// leave every file as it was.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "core/file.h"
#include "oci/registry.h"
#include "support/fixtures.h"
#include "support/oci_cli.h"
#include "support/oci_testdata.h"
#include "support/registry.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// The tags pushed, per repository. Names that are no version / number are
// there on purpose: policies must skip them.
const std::vector<std::string> kApiTags = {"0.9.0",       "1.0.0",      "1.2.0",      "1.10.0",
                                           "v1.11.0",     "2.0.0-rc.1", "2.0.0-rc.2", "latest",
                                           "sha-abc1234", "1.2"};
const std::vector<std::string> kWorkerTags = {"main-0a1b2c3-1700000100", "main-ffee001-1700000300",
                                              "main-1234abc-1700000200", "dev-9999999-1800000000",
                                              "main-broken"};
const std::vector<std::string> kDocsTags = {"RELEASE.2023-01-31", "RELEASE.2024-05-01",
                                            "RELEASE.2023-12-24", "nightly"};

class UpdatePolicy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!TestRegistry::available()) return;
    reg_ = new TestRegistry();
    tmp_ = new TempDir();
    write_test_image(tmp_->path() / "src", "v0", 1, 512, 42);
    // One push per repository, then every tag is one manifest PUT through the library.
    for (const char* name : {"acme/api", "acme/worker", "acme/docs"}) {
      ProcessResult r = gantry_cmd({"push", "oci:" + (tmp_->path() / "src").string() + ":v0",
                                    reg_->host() + "/" + name + ":seed"},
                                   tmp_->path() / "docker-config");
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    oci::Session session(oci::Session::Options{});
    oci::Registry& reg = session.registry(reg_->host());
    oci::Manifest m = reg.get_manifest("acme/api", "seed");
    auto tag_all = [&](const std::string& repo, std::vector<std::string> tags) {
      for (const auto& t : tags)
        reg.put_manifest(repo, t, m);
    };
    std::vector<std::string> api = kApiTags;
    for (int i = 1; i <= 30; ++i)  // filler below the winners: 40+ tags, many pages of 7
      api.push_back("1.0." + std::to_string(i));
    tag_all("acme/api", api);
    tag_all("acme/worker", kWorkerTags);
    tag_all("acme/docs", kDocsTags);
  }
  static void TearDownTestSuite() {
    delete reg_;
    delete tmp_;
    reg_ = nullptr;
    tmp_ = nullptr;
  }
  void SetUp() override {
    if (!reg_) GTEST_SKIP() << "docker-registry is not installed";
  }
  ProcessResult gantry(const std::vector<std::string>& args) {
    return gantry_cmd(args, tmp_->path() / "docker-config");
  }
  std::string repo(const std::string& name) const { return reg_->host() + "/" + name; }

  static TestRegistry* reg_;
  static TempDir* tmp_;
};

TestRegistry* UpdatePolicy::reg_ = nullptr;
TempDir* UpdatePolicy::tmp_ = nullptr;

std::string out_line(const ProcessResult& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

TEST_F(UpdatePolicy, TagsPolicyPicksAcrossPages) {
  // All tags really are there, over many pages.
  doc::Value all = json_of(gantry({"tags", repo("acme/api"), "--page-size", "7", "-o", "json"}));
  EXPECT_EQ(all.find("tags")->size(), kApiTags.size() + 31);  // + filler + seed
  auto pick = [&](const std::string& r, std::vector<std::string> extra) {
    std::vector<std::string> args{"tags", repo(r), "--page-size", "7"};
    args.insert(args.end(), extra.begin(), extra.end());
    return out_line(gantry(args));
  };
  EXPECT_EQ(pick("acme/api", {"--policy", "semver:>=1.0.0 <2.0.0"}), "v1.11.0\n");
  EXPECT_EQ(pick("acme/api", {"--policy", "semver:~1.0"}), "1.0.30\n");
  EXPECT_EQ(pick("acme/api", {"--policy", "semver:*"}), "v1.11.0\n");
  EXPECT_EQ(pick("acme/api", {"--policy", "semver:>=2.0.0-0"}), "2.0.0-rc.2\n");
  EXPECT_EQ(
      pick("acme/api", {"--policy", "semver:^1", "--filter", "^1\\.0\\.\\d+$", "--extract", "$0"}),
      "1.0.30\n");
  EXPECT_EQ(pick("acme/worker", {"--policy", "numerical:asc", "--filter",
                                 "^main-[a-f0-9]+-(?P<ts>[0-9]+)$", "--extract", "$ts"}),
            "main-ffee001-1700000300\n");
  EXPECT_EQ(pick("acme/worker", {"--policy", "numerical:desc", "--filter",
                                 "^main-[a-f0-9]+-(?P<ts>[0-9]+)$", "--extract", "${ts}"}),
            "main-0a1b2c3-1700000100\n");
  EXPECT_EQ(pick("acme/docs", {"--policy", "alphabetical", "--filter", "^RELEASE\\."}),
            "RELEASE.2024-05-01\n");
  EXPECT_EQ(pick("acme/docs", {"--policy", "alphabetical:desc", "--filter", "^RELEASE\\."}),
            "RELEASE.2023-01-31\n");
  doc::Value j =
      json_of(gantry({"tags", repo("acme/api"), "--policy", "semver:1.2.x", "-o", "json"}));
  EXPECT_EQ(j.get_string("tag"), "1.2.0");
  EXPECT_EQ(j.get_string("image"), repo("acme/api") + ":1.2.0");
  EXPECT_EQ(j.get_string("policy"), "semver '1.2.x'");
}

TEST_F(UpdatePolicy, TagsPolicyBadInput) {
  ProcessResult none = gantry({"tags", repo("acme/api"), "--policy", "semver:>=5"});
  EXPECT_EQ(none.exit_code, 5);
  EXPECT_THAT(none.err, HasSubstr("no tag of " + repo("acme/api") + " matches semver '>=5' ("));
  EXPECT_EQ(none.out, "");
  // Policies are checked before any request: a dead registry is never reached.
  std::string dead = "127.0.0.1:" + std::to_string(free_port()) + "/x";
  ProcessResult re = gantry({"tags", dead, "--policy", "numerical", "--filter", "(?P<ts>[0-9]+"});
  EXPECT_EQ(re.exit_code, 3);
  EXPECT_THAT(re.err, HasSubstr("invalid regular expression '(?P<ts>[0-9]+': missing )"));
  EXPECT_EQ(gantry({"tags", dead, "--policy", "newest"}).exit_code, 2);
  EXPECT_EQ(gantry({"tags", dead, "--policy", "semver:>=banana"}).exit_code, 3);
  EXPECT_EQ(gantry({"tags", dead, "--filter", "^v"}).exit_code, 2);
  ProcessResult missing = gantry({"tags", repo("acme/nothing"), "--policy", "semver:*"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("acme/nothing"));
}

// A small GitOps repository with every marker form.
struct Repo {
  TempDir dir;
  std::string deployment, values, kustomization, plain;
  explicit Repo(const std::string& host) {
    deployment =
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n"
        "      containers:\n"
        "      - name: api\n"
        "        image: " +
        host +
        "/acme/api:1.0.0 # {\"$imagepolicy\": \"flux-system:api\"}\n"
        "      - name: worker\n"
        "        image: \"" +
        host + "/acme/worker:main-0\" # {\"$imagepolicy\": \"apps:worker\"}\n";
    values =
        "docs:\n"
        "  repository: old/docs # {\"$imagepolicy\": \"default:docs:name\"}\n"
        "  tag: 'RELEASE.2020-01-01' # {\"$imagepolicy\": \"default:docs:tag\"}\n";
    kustomization =
        "images:\n- name: api\n  newTag: 0.1.0 # {\"$imagepolicy\": \"flux-system:api:tag\"}\n";
    plain = "templated: {{ not yaml }}\n";
    dir.write("apps/api/deployment.yaml", deployment);
    dir.write("apps/docs/values.yaml", values);
    dir.write("apps/api/kustomization.yaml", kustomization);
    dir.write("apps/templates/cm.yaml", plain);
  }
  std::string read(const std::string& rel) const { return read_file(dir.path() / rel); }
  bool untouched() const {
    return read("apps/api/deployment.yaml") == deployment &&
           read("apps/docs/values.yaml") == values &&
           read("apps/api/kustomization.yaml") == kustomization &&
           read("apps/templates/cm.yaml") == plain;
  }
};

std::string policy_file(const std::string& host) {
  return "policies:\n"
         "- name: api\n  namespace: flux-system\n  image: " +
         host +
         "/acme/api\n"
         "  policy: {semver: {range: '>=1.0.0 <2.0.0'}}\n"
         "- name: docs\n  image: " +
         host +
         "/acme/docs\n"
         "  policy: {alphabetical: {order: asc}}\n"
         "  filterTags: {pattern: '^RELEASE\\.'}\n"
         "---\n"
         "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImageRepository\n"
         "metadata: {name: worker, namespace: apps}\nspec: {image: " +
         host +
         "/acme/worker, interval: 1m}\n"
         "---\n"
         "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImagePolicy\n"
         "metadata: {name: worker, namespace: apps}\n"
         "spec:\n  imageRepositoryRef: {name: worker}\n"
         "  filterTags: {pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$', extract: '$ts'}\n"
         "  policy: {numerical: {order: asc}}\n";
}

TEST_F(UpdatePolicy, UpdateSetsEverySetterByteForByte) {
  std::string host = reg_->host();
  Repo r(host);
  fs::path pf = r.dir.path() / "policies.yaml.txt";  // not *.yaml: not itself scanned
  write_file_atomic(pf, policy_file(host));
  ProcessResult res = gantry(
      {"update", (r.dir.path() / "apps").string(), "--policies", pf.string(), "--page-size", "7"});
  ASSERT_EQ(res.exit_code, 0) << res.err;
  EXPECT_EQ(r.read("apps/api/deployment.yaml"),
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n"
            "      containers:\n"
            "      - name: api\n"
            "        image: " +
                host +
                "/acme/api:v1.11.0 # {\"$imagepolicy\": \"flux-system:api\"}\n"
                "      - name: worker\n"
                "        image: \"" +
                host +
                "/acme/worker:main-ffee001-1700000300\" # {\"$imagepolicy\": \"apps:worker\"}\n");
  EXPECT_EQ(r.read("apps/docs/values.yaml"),
            "docs:\n"
            "  repository: " +
                host +
                "/acme/docs # {\"$imagepolicy\": \"default:docs:name\"}\n"
                "  tag: 'RELEASE.2024-05-01' # {\"$imagepolicy\": \"default:docs:tag\"}\n");
  EXPECT_EQ(
      r.read("apps/api/kustomization.yaml"),
      "images:\n- name: api\n  newTag: v1.11.0 # {\"$imagepolicy\": \"flux-system:api:tag\"}\n");
  EXPECT_EQ(r.read("apps/templates/cm.yaml"), r.plain);
  // The picks on stderr, one change per line on stdout.
  EXPECT_THAT(res.err, HasSubstr("gantry: policy flux-system:api: " + host + "/acme/api:v1.11.0"));
  EXPECT_THAT(res.err, HasSubstr("gantry: policy apps:worker: " + host +
                                 "/acme/worker:main-ffee001-1700000300"));
  EXPECT_THAT(res.out, HasSubstr("deployment.yaml:8: " + host + "/acme/api:1.0.0 -> " + host +
                                 "/acme/api:v1.11.0\n"));
  EXPECT_EQ(std::count(res.out.begin(), res.out.end(), '\n'), 5);
  // Again: nothing to do.
  ProcessResult again =
      gantry({"update", (r.dir.path() / "apps").string(), "--policies", pf.string()});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "no changes\n");
}

TEST_F(UpdatePolicy, DryRunAndSetterFlag) {
  Repo r(reg_->host());
  fs::path pf = r.dir.path() / "p.txt";
  write_file_atomic(pf, policy_file(reg_->host()));
  ProcessResult dry =
      gantry({"update", r.dir.path().string(), "--policies", pf.string(), "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("+        image: " + reg_->host() + "/acme/api:v1.11.0 #"));
  EXPECT_TRUE(r.untouched());
  // --setter wins over the file's pick.
  ProcessResult s = gantry({"update", r.dir.path().string(), "--policies", pf.string(), "--setter",
                            "flux-system:api=" + reg_->host() + "/acme/api:1.2.0"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_THAT(r.read("apps/api/kustomization.yaml"), HasSubstr("newTag: 1.2.0 #"));
}

TEST_F(UpdatePolicy, FluxObjectsSpreadOverADirectory) {
  std::string host = reg_->host();
  TempDir flux;
  flux.write("image-repos.yaml",
             "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImageRepository\n"
             "metadata: {name: api, namespace: flux-system}\nspec: {image: " +
                 host + "/acme/api}\n");
  flux.write("policies/api.yaml",
             "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImagePolicy\n"
             "metadata: {name: api, namespace: flux-system}\nspec:\n"
             "  imageRepositoryRef: {name: api}\n"
             "  policy: {semver: {range: '>=2.0.0-rc.1'}}\n");
  flux.write("kustomization.yaml", "resources: [image-repos.yaml, policies/api.yaml]\n");
  TempDir repo;
  repo.write("app.yaml",
             "image: " + host + "/acme/api:1.0.0 # {\"$imagepolicy\": \"flux-system:api\"}\n");
  ProcessResult r = gantry(
      {"update", repo.path().string(), "--policies", flux.path().string(), "--page-size", "7"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(repo.path() / "app.yaml"),
            "image: " + host + "/acme/api:2.0.0-rc.2 # {\"$imagepolicy\": \"flux-system:api\"}\n");
}

// Flux's `:digest` field and digestReflectionPolicy: the digest is the one the
// registry serves for the picked tag, asked with a HEAD request.
TEST_F(UpdatePolicy, DigestSettersAndDigestReflection) {
  std::string host = reg_->host();
  oci::Session session(oci::Session::Options{});
  auto head = session.registry(host).head_manifest("acme/api", "v1.11.0");
  ASSERT_TRUE(head);
  const std::string digest = head->digest.str();
  TempDir flux;
  flux.write("api.yaml",
             "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\n"
             "metadata: {name: api, namespace: flux-system}\nspec: {image: " +
                 host +
                 "/acme/api}\n---\n"
                 "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\n"
                 "metadata: {name: api, namespace: flux-system}\nspec:\n"
                 "  imageRepositoryRef: {name: api}\n"
                 "  policy: {semver: {range: '>=1.0.0 <2.0.0'}}\n");
  TempDir repo;
  const std::string values =
      "image:\n  repository: x # {\"$imagepolicy\": \"flux-system:api:name\"}\n"
      "  tag: '1' # {\"$imagepolicy\": \"flux-system:api:tag\"}\n"
      "  digest: '' # {\"$imagepolicy\": \"flux-system:api:digest\"}\n"
      "full: x:1 # {\"$imagepolicy\": \"flux-system:api\"}\n";
  repo.write("values.yaml", values);
  ProcessResult r = gantry({"update", repo.path().string(), "--policies", flux.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(repo.path() / "values.yaml"),
            "image:\n  repository: " + host +
                "/acme/api # {\"$imagepolicy\": \"flux-system:api:name\"}\n" +
                "  tag: 'v1.11.0' # {\"$imagepolicy\": \"flux-system:api:tag\"}\n" + "  digest: '" +
                digest + "' # {\"$imagepolicy\": \"flux-system:api:digest\"}\n" + "full: " + host +
                "/acme/api:v1.11.0 # {\"$imagepolicy\": \"flux-system:api\"}\n");
  EXPECT_THAT(r.err,
              HasSubstr("policy flux-system:api: " + host + "/acme/api:v1.11.0 (" + digest + ")"));
  // With digest reflection the whole image is pinned too.
  std::string text = read_file(flux.path() / "api.yaml");
  flux.write("api.yaml", text + "  digestReflectionPolicy: IfNotPresent\n");
  ProcessResult pinned =
      gantry({"update", repo.path().string(), "--policies", flux.path().string()});
  ASSERT_EQ(pinned.exit_code, 0) << pinned.err;
  EXPECT_THAT(read_file(repo.path() / "values.yaml"),
              HasSubstr("full: " + host + "/acme/api:v1.11.0@" + digest + " # {"));
  // By hand: --setter with a digest fills :digest markers and pins whole images.
  repo.write("values.yaml", values);
  const std::string other = "sha256:" + std::string(64, 'c');
  ProcessResult hand = gantry({"update", repo.path().string(), "--setter",
                               "flux-system:api=" + host + "/acme/api:9.9.9@" + other});
  ASSERT_EQ(hand.exit_code, 0) << hand.err;
  EXPECT_THAT(read_file(repo.path() / "values.yaml"), HasSubstr("digest: '" + other + "' # {"));
  EXPECT_THAT(read_file(repo.path() / "values.yaml"),
              HasSubstr("full: " + host + "/acme/api:9.9.9@" + other + " # {"));
  // Without a digest a :digest marker is an error and nothing is written.
  repo.write("values.yaml", values);
  ProcessResult none = gantry(
      {"update", repo.path().string(), "--setter", "flux-system:api=" + host + "/acme/api:9.9.9"});
  EXPECT_NE(none.exit_code, 0);
  EXPECT_THAT(none.err, HasSubstr("values.yaml:4: setter {\"$imagepolicy\": "
                                  "\"flux-system:api:digest\"}: no digest is known"));
  EXPECT_EQ(read_file(repo.path() / "values.yaml"), values);
}

TEST_F(UpdatePolicy, BadInputWritesNothing) {
  std::string host = reg_->host();
  Repo r(host);
  fs::path pf = r.dir.path() / "p.txt";
  auto run = [&](const std::string& policies) {
    write_file_atomic(pf, policies);
    return gantry({"update", r.dir.path().string(), "--policies", pf.string()});
  };
  // A policy RE2 rejects.
  ProcessResult re = run("policies:\n- name: api\n  namespace: flux-system\n  image: " + host +
                         "/acme/api\n  policy: {numerical: {}}\n  filterTags: {pattern: 'a(b'}\n");
  EXPECT_EQ(re.exit_code, 3);
  EXPECT_THAT(re.err, HasSubstr(pf.string() + ":"));
  EXPECT_THAT(re.err, HasSubstr("invalid regular expression 'a(b': missing )"));
  // An invalid policy.
  ProcessResult bad = run("policies:\n- {name: api, image: x, policy: {semver: {range: '>>1'}}}\n");
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_THAT(bad.err, HasSubstr("invalid semver range '>>1'"));
  // Not YAML.
  ProcessResult notyaml = run("policies: [unclosed\n");
  EXPECT_EQ(notyaml.exit_code, 3);
  EXPECT_THAT(notyaml.err, HasSubstr(pf.string() + ":"));
  // A repository the registry does not have.
  ProcessResult norepo = run("policies:\n- {name: api, namespace: flux-system, image: " + host +
                             "/acme/missing, policy: {semver: {range: '*'}}}\n");
  EXPECT_NE(norepo.exit_code, 0);
  EXPECT_THAT(norepo.err, HasSubstr("policy flux-system:api"));
  EXPECT_THAT(norepo.err, HasSubstr("acme/missing"));
  // A registry that is not there.
  std::string dead = "127.0.0.1:" + std::to_string(free_port());
  ProcessResult noreg = run("policies:\n- {name: api, namespace: flux-system, image: " + dead +
                            "/acme/api, policy: {semver: {range: '*'}}}\n");
  EXPECT_EQ(noreg.exit_code, 4) << noreg.err;
  EXPECT_THAT(noreg.err, HasSubstr("policy flux-system:api"));
  // No tag matches.
  ProcessResult nomatch = run("policies:\n- {name: api, namespace: flux-system, image: " + host +
                              "/acme/api, policy: {semver: {range: '>=9'}}}\n");
  EXPECT_EQ(nomatch.exit_code, 5);
  EXPECT_THAT(nomatch.err, HasSubstr("no tag of " + host + "/acme/api matches semver '>=9'"));
  EXPECT_TRUE(r.untouched());
  // A good policy file but a setter on a mapping in one manifest: nothing written anywhere.
  r.dir.write("apps/zz/bad.yaml", "image: # {\"$imagepolicy\": \"flux-system:api\"}\n  tag: 1\n");
  ProcessResult onmap = run(policy_file(host));
  EXPECT_EQ(onmap.exit_code, 3);
  EXPECT_THAT(onmap.err,
              HasSubstr("bad.yaml:1: setter {\"$imagepolicy\": \"flux-system:api\"} is on "
                        "key 'image' whose value is a mapping"));
  EXPECT_TRUE(r.untouched());
  // A manifest with a setter that is not YAML: the same.
  fs::remove(r.dir.path() / "apps/zz/bad.yaml");
  r.dir.write("apps/zz/bad.yaml", "image: [x # {\"$imagepolicy\": \"flux-system:api\"}\n");
  ProcessResult broken = run(policy_file(host));
  EXPECT_EQ(broken.exit_code, 3);
  EXPECT_THAT(broken.err, HasSubstr("bad.yaml:"));
  EXPECT_TRUE(r.untouched());
  // A missing policy file.
  ProcessResult nofile = gantry(
      {"update", r.dir.path().string(), "--policies", (r.dir.path() / "none.yaml").string()});
  EXPECT_EQ(nofile.exit_code, 5);
  EXPECT_TRUE(r.untouched());
}

}  // namespace
}  // namespace gantry::testing
