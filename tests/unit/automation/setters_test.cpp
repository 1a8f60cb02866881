// The policy file (gantry's `policies:` and Flux's ImageRepository/ImagePolicy),
// resolving policies against a tag list, and Flux setter markers in manifests.
// The registry side runs for real in tests/integration/update_policy_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "automation/policies.h"
#include "automation/update.h"
#include "core/error.h"
#include "core/file.h"
#include "support/fixtures.h"

namespace gantry::automation {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

using testing::error_text;

UpdateOptions setter(const std::string& key, const std::string& image, const std::string& tag) {
  UpdateOptions o;
  o.setters[key] = PolicyImage{image, tag};
  return o;
}

FileUpdate update(std::string_view text, const UpdateOptions& o,
                  std::vector<std::string>* notes = nullptr) {
  std::vector<std::string> n;
  return update_text(text, "t.yaml", o, notes ? *notes : n);
}

const std::map<std::string, std::vector<std::string>> kTags{
    {"ghcr.io/acme/api", {"1.0.0", "1.2.0", "2.0.0-rc.1", "latest"}},
    {"ghcr.io/acme/worker", {"main-aaa-100", "main-bbb-300", "dev-ccc-900", "main-ddd-200"}},
    {"ghcr.io/acme/docs", {"2023-01-01", "2024-06-30", "2024-01-15"}},
};

std::map<std::string, PolicyImage> resolve(const std::vector<ImagePolicy>& p,
                                           int* calls = nullptr) {
  return resolve_policies(p, [&](const std::string& image) {
    if (calls) ++*calls;
    auto it = kTags.find(image);
    if (it == kTags.end()) throw Error("repository " + image + " not found", ExitCode::kNotFound);
    return it->second;
  });
}

TEST(PolicyFile, GantrySpelling) {
  auto policies = parse_policies(R"(policies:
- name: api
  namespace: flux-system
  image: ghcr.io/acme/api
  policy:
    semver:
      range: ">=1.0.0"
- name: worker
  image: ghcr.io/acme/worker
  policy: {numerical: {order: asc}}
  filterTags:
    pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$'
    extract: '$ts'
- name: docs
  image: ghcr.io/acme/docs
  policy: {alphabetical: {order: desc}}
- name: docs-newest
  image: ghcr.io/acme/docs
  policy: {alphabetical: {}}
)",
                                 "p.yaml");
  ASSERT_EQ(policies.size(), 4u);
  EXPECT_EQ(policies[0].key(), "flux-system:api");
  EXPECT_EQ(policies[1].key(), "default:worker");
  EXPECT_EQ(policies[1].where.str(), "p.yaml:8:3");
  int calls = 0;
  auto r = resolve(policies, &calls);
  EXPECT_EQ(calls, 3);  // docs is listed once for both of its policies
  EXPECT_EQ(r.at("flux-system:api").str(), "ghcr.io/acme/api:1.2.0");
  EXPECT_EQ(r.at("default:worker").tag, "main-bbb-300");
  EXPECT_EQ(r.at("default:docs").tag, "2023-01-01");
  EXPECT_EQ(r.at("default:docs-newest").tag, "2024-06-30");
}

TEST(PolicyFile, FluxObjects) {
  auto policies = parse_policies(R"(apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata:
  name: api
  namespace: flux-system
spec:
  image: ghcr.io/acme/api
  interval: 5m
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata:
  name: api
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: api
  policy:
    semver:
      range: ">=2.0.0-0"
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: worker
  namespace: apps
spec:
  imageRepositoryRef: {name: worker, namespace: flux-system}
  filterTags: {pattern: '^main-.*-(?P<ts>\d+)$', extract: '$ts'}
  policy: {numerical: {order: desc}}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: {name: worker, namespace: flux-system}
spec: {image: ghcr.io/acme/worker}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageUpdateAutomation
metadata: {name: all, namespace: flux-system}
spec: {interval: 1m}
---
apiVersion: v1
kind: Namespace
metadata: {name: apps}
)",
                                 "flux.yaml");
  ASSERT_EQ(policies.size(), 2u);
  auto r = resolve(policies);
  EXPECT_EQ(r.at("flux-system:api").tag, "2.0.0-rc.1");
  EXPECT_EQ(r.at("apps:worker").str(), "ghcr.io/acme/worker:main-aaa-100");
}

TEST(PolicyFile, DirectoriesAndSeveralFilesAreOneSet) {
  testing::TempDir dir;
  dir.write("flux/repos.yaml",
            "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImageRepository\n"
            "metadata: {name: api, namespace: flux-system}\nspec: {image: ghcr.io/acme/api}\n");
  dir.write("flux/sub/policies.yml",
            "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImagePolicy\n"
            "metadata: {name: api, namespace: flux-system}\n"
            "spec:\n  imageRepositoryRef: {name: api}\n  policy: {semver: {range: '1.x'}}\n");
  dir.write("flux/app.yaml", "replicas: {{ not yaml }}\n");  // not read: names no policy
  dir.write("extra.yaml",
            "policies:\n- {name: docs, image: ghcr.io/acme/docs, policy: {alphabetical: {}}}\n");
  auto policies = load_policies({dir.path() / "flux", dir.path() / "extra.yaml"});
  ASSERT_EQ(policies.size(), 2u);
  auto r = resolve(policies);
  EXPECT_EQ(r.at("flux-system:api").tag, "1.2.0");
  EXPECT_EQ(r.at("default:docs").tag, "2024-06-30");
  // The same policy in two places is an error naming the second.
  dir.write(
      "again.yaml",
      "policies:\n- {name: api, namespace: flux-system, image: x, policy: {numerical: {}}}\n");
  std::string twice = error_text([&] {
    load_policies({dir.path() / "flux", dir.path() / "again.yaml"});
  });
  EXPECT_THAT(twice, HasSubstr("policies.yml:1:1: policy flux-system:api is defined twice"));
  EXPECT_THAT(twice, HasSubstr("(also at " + (dir.path() / "again.yaml").string() + ":2:3)"));
  EXPECT_THAT(error_text([&] { load_policies({dir.path() / "nothing"}); }),
              HasSubstr("policy file not found"));
}

TEST(PolicyFile, BadInputNamesFileAndLine) {
  auto err = [](const std::string& text) {
    return error_text([&] { parse_policies(text, "p.yaml"); });
  };
  EXPECT_THAT(err("policies: [{name: a, image: x, policy: {semver: {range: '>=1'}}, tagz: 1}]"),
              HasSubstr("unknown field 'tagz'"));
  EXPECT_THAT(err("policies:\n- name: a\n  policy: {numerical: {}}\n"),
              StartsWith("p.yaml:2:3: policy 'a' needs 'image'"));
  EXPECT_THAT(
      err("policies:\n- name: a\n  image: x\n  policy: {numerical: {}, semver: {range: '*'}}\n"),
      HasSubstr("exactly one of semver, numerical, alphabetical"));
  EXPECT_THAT(err("policies:\n- name: a\n  image: x\n  policy: {newest: {}}\n"),
              HasSubstr("unknown policy kind 'newest'"));
  EXPECT_THAT(err("policies:\n- name: a\n  image: x\n  policy: {numerical: {order: up}}\n"),
              HasSubstr("must be asc or desc, not 'up'"));
  std::string re =
      err("policies:\n- name: a\n  image: x\n  policy: {numerical: {}}\n  filterTags: {pattern: "
          "'(?P<ts>[0-9]+'}\n");
  EXPECT_THAT(re, StartsWith("p.yaml:4:"));
  EXPECT_THAT(re, HasSubstr("policy 'a': filterTags: invalid regular expression '(?P<ts>[0-9]+': "
                            "missing )"));
  EXPECT_THAT(err("policies:\n- name: a\n  image: x\n  policy: {semver: {range: '>=banana'}}\n"),
              HasSubstr("invalid semver range '>=banana'"));
  EXPECT_THAT(err("policies:\n- {name: a, image: x, policy: {numerical: {}}}\n"
                  "- {name: a, image: z, policy: {numerical: {}}}\n"),
              StartsWith("p.yaml:3:3: policy default:a is defined twice (also at p.yaml:2:3)"));
  EXPECT_THAT(
      err("apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImagePolicy\nmetadata: {name: "
          "p}\nspec:\n  imageRepositoryRef: {name: missing}\n  policy: {numerical: {}}\n"),
      HasSubstr("refers to ImageRepository default:missing, which the file does not define"));
  EXPECT_THAT(err("a: [1, 2\n"), StartsWith("p.yaml:"));
  EXPECT_THAT(err("just: a mapping\n"), HasSubstr("not a policy file"));
  EXPECT_THAT(err("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"),
              HasSubstr("no policies in the file"));
  EXPECT_THAT(err(""), HasSubstr("no policies in the file"));
  EXPECT_THAT(error_text([] { load_policies({"/nonexistent/policies.yaml"}); }),
              HasSubstr("policy file not found"));
}

TEST(PolicyFile, ResolveErrorsNameThePolicy) {
  auto policies = parse_policies(
      "policies:\n- {name: api, image: ghcr.io/acme/api, policy: {semver: {range: '>=3'}}}\n",
      "p.yaml");
  try {
    resolve(policies);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kNotFound);
    EXPECT_EQ(
        e.str(),
        "p.yaml:2:3: policy default:api: no tag of ghcr.io/acme/api matches semver '>=3' (4 tags)");
  }
  auto missing = parse_policies(
      "policies:\n- {name: m, image: ghcr.io/acme/none, policy: {numerical: {}}}\n", "p.yaml");
  EXPECT_THAT(error_text([&] { resolve(missing); }),
              HasSubstr("policy default:m: repository ghcr.io/acme/none not found"));
}

TEST(Setters, WholeImageTagAndName) {
  auto o = setter("ns:app", "ghcr.io/acme/app", "1.2.3");
  EXPECT_EQ(update("image: ghcr.io/acme/app:1.0.0 # {\"$imagepolicy\": \"ns:app\"}\n", o).updated,
            "image: ghcr.io/acme/app:1.2.3 # {\"$imagepolicy\": \"ns:app\"}\n");
  EXPECT_EQ(update("tag: 1.0.0 # {\"$imagepolicy\": \"ns:app:tag\"}\n", o).updated,
            "tag: 1.2.3 # {\"$imagepolicy\": \"ns:app:tag\"}\n");
  EXPECT_EQ(update("repo: x/y # {\"$imagepolicy\": \"ns:app:name\"}\n", o).updated,
            "repo: ghcr.io/acme/app # {\"$imagepolicy\": \"ns:app:name\"}\n");
  // A tag is a string: a plain number-looking old value gets quotes when needed.
  EXPECT_EQ(
      update("tag: 1 # {\"$imagepolicy\": \"ns:app:tag\"}\n", setter("ns:app", "x", "2")).updated,
      "tag: \"2\" # {\"$imagepolicy\": \"ns:app:tag\"}\n");
  auto f = update("a: 1\nimage: x:1 # {\"$imagepolicy\": \"ns:app\"}\n", o);
  ASSERT_EQ(f.changes.size(), 1u);
  EXPECT_EQ(f.changes[0].str(), "t.yaml:2: x:1 -> ghcr.io/acme/app:1.2.3");
}

TEST(Setters, DigestFieldAndDigestReflection) {
  const std::string d = "sha256:" + std::string(64, 'a');
  UpdateOptions o;
  o.setters["ns:app"] = PolicyImage{"ghcr.io/acme/app", "1.2.3", d, false};
  // Flux's `:digest` field gets the digest; the whole image stays IMAGE:TAG without reflection.
  EXPECT_EQ(update("image:\n  digest: sha256:old # {\"$imagepolicy\": \"ns:app:digest\"}\n"
                   "  full: x:1 # {\"$imagepolicy\": \"ns:app\"}\n",
                   o)
                .updated,
            "image:\n  digest: " + d + " # {\"$imagepolicy\": \"ns:app:digest\"}\n" +
                "  full: ghcr.io/acme/app:1.2.3 # {\"$imagepolicy\": \"ns:app\"}\n");
  // With digest reflection (pin), the whole image is IMAGE:TAG@DIGEST.
  o.setters["ns:app"].pin = true;
  EXPECT_EQ(update("full: x:1 # {\"$imagepolicy\": \"ns:app\"}\n", o).updated,
            "full: ghcr.io/acme/app:1.2.3@" + d + " # {\"$imagepolicy\": \"ns:app\"}\n");
}

TEST(PolicyFile, DigestReflectionPolicyAndDigestLookup) {
  auto policies = parse_policies(R"(policies:
- {name: a, image: ghcr.io/acme/api, policy: {semver: {range: '1.x'}}, digestReflectionPolicy: IfNotPresent}
- {name: w, image: ghcr.io/acme/worker, policy: {numerical: {}}, filterTags: {pattern: '^main-[a-z]+-(?P<n>[0-9]+)$', extract: '$n'}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: docs}
spec: {image: ghcr.io/acme/docs}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: docs}
spec: {imageRepositoryRef: {name: docs}, policy: {alphabetical: {}}, digestReflectionPolicy: Always}
)",
                                 "p.yaml");
  ASSERT_EQ(policies.size(), 3u);
  std::vector<std::string> asked;
  auto got = resolve_policies(
      policies, [&](const std::string& image) { return kTags.at(image); },
      [&](const std::string& image, const std::string& tag) {
        asked.push_back(image + ":" + tag);
        return "sha256:" + std::string(64, image.back());
      });
  EXPECT_EQ(asked,
            (std::vector<std::string>{"ghcr.io/acme/api:1.2.0", "ghcr.io/acme/worker:main-bbb-300",
                                      "ghcr.io/acme/docs:2024-06-30"}));
  EXPECT_EQ(got["default:a"].str(), "ghcr.io/acme/api:1.2.0@sha256:" + std::string(64, 'i'));
  EXPECT_EQ(got["default:w"].str(), "ghcr.io/acme/worker:main-bbb-300");  // Never: not pinned
  EXPECT_EQ(got["default:w"].digest, "sha256:" + std::string(64, 'r'));   // but known
  EXPECT_EQ(got["default:docs"].str(),
            "ghcr.io/acme/docs:2024-06-30@sha256:" + std::string(64, 's'));
  EXPECT_THAT(error_text([] {
                parse_policies(
                    "policies:\n- {name: a, image: x, policy: {numerical: {}}, "
                    "digestReflectionPolicy: Sometimes}\n",
                    "p.yaml");
              }),
              HasSubstr("digestReflectionPolicy of policy 'a' must be Never, IfNotPresent or "
                        "Always, not 'Sometimes'"));
}

TEST(Setters, UnknownPoliciesAndNonSettersAreNotes) {
  std::vector<std::string> notes;
  auto o = setter("ns:app", "ghcr.io/acme/app", "1.2.3");
  auto f = update(
      "a: x:1 # {\"$imagepolicy\": \"ns:other\"}\n"
      "b: x:1 # see {\"$imagepolicy\": \"ns:app\"}\n"
      "c: 'x # {\"$imagepolicy\": \"ns:app\"}'\n"
      "# {\"$imagepolicy\": \"ns:app\"}\n",
      o, &notes);
  EXPECT_FALSE(f.changed());
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_THAT(notes[0], HasSubstr("t.yaml:1: no policy ns:other was given"));
  EXPECT_THAT(notes[1], HasSubstr("t.yaml:2: comment mentions $imagepolicy but is not a setter"));
  EXPECT_THAT(notes[2], HasSubstr("t.yaml:4: setter {\"$imagepolicy\": \"ns:app\"} is on a line "
                                  "without a value"));
}

TEST(Setters, ErrorsOnNonScalarsAndBadMarkers) {
  auto o = setter("ns:app", "ghcr.io/acme/app", "1.2.3");
  EXPECT_THAT(error_text([&] { update("list: # {\"$imagepolicy\": \"ns:app\"}\n- a\n", o); }),
              StartsWith("t.yaml:1: setter {\"$imagepolicy\": \"ns:app\"} is on key 'list' whose "
                         "value is a list"));
  EXPECT_THAT(error_text([&] { update("s: | # {\"$imagepolicy\": \"ns:app\"}\n  text\n", o); }),
              HasSubstr("block scalar"));
  EXPECT_THAT(error_text([&] { update("a: &x 1\nb: *x # {\"$imagepolicy\": \"ns:app\"}\n", o); }),
              HasSubstr("alias"));
  EXPECT_THAT(error_text([&] { update("a: 1 # {\"$imagepolicy\": \"ns:app:sha\"}\n", o); }),
              HasSubstr("unknown field 'sha' (Flux setters set the whole image, :tag, :name or "
                        ":digest)"));
  // A :digest marker needs a digest; a pick without one is an error naming the line.
  EXPECT_THAT(
      error_text([&] { update("a: 1\nd: x # {\"$imagepolicy\": \"ns:app:digest\"}\n", o); }),
      StartsWith("t.yaml:2: setter {\"$imagepolicy\": \"ns:app:digest\"}: no digest is "
                 "known for policy ns:app"));
  EXPECT_THAT(error_text([&] { update("a: 1 # {\"$imagepolicy\": \"app\"}\n", o); }),
              HasSubstr("expected NAMESPACE:NAME"));
}

TEST(Setters, PlanReadsOnlyFilesWithSetters) {
  testing::TempDir dir;
  dir.write("values.yaml", "tag: 1.0.0 # {\"$imagepolicy\": \"ns:app:tag\"}\n");
  dir.write("template.yaml", "replicas: {{ n }}\nimage: x:{{ tag }}\n");  // not YAML, not read
  dir.write("bad.yaml", "oops: [1 # {\"$imagepolicy\": \"ns:app:tag\"}\n");
  auto o = setter("ns:app", "ghcr.io/acme/app", "1.2.3");
  EXPECT_THAT(error_text([&] { plan_update(dir.path(), o); }), HasSubstr("bad.yaml:"));
  std::filesystem::remove(dir.path() / "bad.yaml");
  UpdatePlan plan = plan_update(dir.path(), o);
  ASSERT_EQ(plan.files.size(), 1u);
  apply_update(plan);
  EXPECT_EQ(read_file(dir.path() / "values.yaml"),
            "tag: 1.2.3 # {\"$imagepolicy\": \"ns:app:tag\"}\n");
}

TEST(Digests, KustomizationAndImageFields) {
  const std::string d(64, 'a');
  UpdateOptions o;
  o.digests.emplace_back("nginx", "sha256:" + d);
  std::vector<std::string> notes;
  auto k =
      update_text("images:\n- name: nginx\n  newTag: 1.25.0\n", "kustomization.yaml", o, notes);
  EXPECT_EQ(k.updated, "images:\n- name: nginx\n  newTag: 1.25.0\n  digest: sha256:" + d + "\n");
  ASSERT_EQ(k.changes.size(), 1u);
  EXPECT_EQ(k.changes[0].line, 4u);
  auto both = update_text(
      "images:\n- name: nginx\n", "kustomization.yaml",
      [&] {
        UpdateOptions b = o;
        b.images.emplace_back("nginx", "1.27");
        return b;
      }(),
      notes);
  EXPECT_EQ(both.updated,
            "images:\n- name: nginx\n  newTag: \"1.27\"\n  digest: sha256:" + d + "\n");
  // image: fields become NAME@DIGEST; other files' images: lists are not kustomizations.
  auto pod = update_text("image: nginx:1.25\nimages:\n- name: nginx\n", "pod.yaml", o, notes);
  EXPECT_EQ(pod.updated, "image: nginx@sha256:" + d + "\nimages:\n- name: nginx\n");
  // A flow-style entry gets a note, not a broken line.
  notes.clear();
  auto flow = update_text("images: [{name: nginx}]\n", "kustomization.yaml", o, notes);
  EXPECT_FALSE(flow.changed());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_THAT(notes[0], HasSubstr("not in block style; digest not inserted"));
}

}  // namespace
}  // namespace gantry::automation
