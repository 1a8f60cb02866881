// Checks the YAML reader and the JSON/YAML writers against the real kubectl.
//
// Scalar resolution: kubectl converts YAML to JSON on the client with
// sigs.k8s.io/yaml (go-yaml v2 rules). `kubectl create --dry-run=client`
// needs API discovery (a cluster), but `kubectl patch --local -f FILE -p {}
// --type=merge -o json` runs the same conversion fully offline, for any
// apiVersion/kind, and prints the object as JSON. We compare that with
// parse_yaml() of the same file, key by key.
//
// Output format: the same command shows kubectl's JSON printer, which
// to_json_pretty() must match byte for byte; `kubectl kustomize` shows the
// YAML style to_yaml() copies, and its duplicate-key message.
//
// Skipped when kubectl is not installed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "core/process.h"
#include "doc/json.h"
#include "doc/yaml.h"
#include "support/fixtures.h"

namespace gantry::doc {
namespace {

using ::testing::HasSubstr;

class KubectlYaml : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!find_program("kubectl")) GTEST_SKIP() << "kubectl is not installed";
  }

  ProcessResult kubectl(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"kubectl"};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessOptions opts;
    opts.timeout = std::chrono::seconds(60);
    // Never talk to a cluster that happens to be configured.
    opts.extra_env = {"KUBECONFIG=" + (dir_.path() / "no-kubeconfig").string()};
    return run_process(argv, opts);
  }

  // kubectl's YAML -> JSON conversion of `yaml`, offline.
  ProcessResult to_json_with_kubectl(const std::string& name, const std::string& yaml) {
    auto path = dir_.write(name, yaml);
    return kubectl(
        {"patch", "--local", "-f", path.string(), "-p", "{}", "--type=merge", "-o", "json"});
  }

  gantry::testing::TempDir dir_;
};

constexpr const char* kHeader =
    "apiVersion: example.com/v1\n"
    "kind: Foo\n"
    "metadata:\n"
    "  name: x\n";

// One key per case. The comment after a case is what kubectl produced.
constexpr const char* kResolution = R"(spec:
  n1: null
  n2: ~
  n3: Null
  n4: NULL
  n5:
  n6: nULL            # "nULL"
  t1: true
  t2: True
  t3: TRUE
  t4: tRUE            # "tRUE"
  f1: false
  f2: False
  f3: FALSE
  y1: yes             # true: YAML 1.1 booleans are booleans in kubectl
  y2: Yes
  y3: YES
  y4: y
  y5: Y
  y6: on
  y7: On
  y8: ON
  y9: no              # false
  y10: No
  y11: NO
  y12: n
  y13: N
  y14: off
  y15: Off
  y16: OFF
  y17: yEs            # "yEs"
  i1: 0
  i2: +1
  i3: -1
  i4: 0x1F            # 31
  i5: 0o17            # 15
  i6: 017             # 15: legacy octal
  i7: 1_000           # 1000
  i8: 9223372036854775807
  i9: 9223372036854775808     # 9223372036854775808 as a float
  i10: 18446744073709551615   # float
  i11: 18446744073709551616   # float
  i12: 99999999999999999999999  # 1e+23
  i13: -9223372036854775808
  i14: -9223372036854775809   # float
  i15: 0b101          # 5
  i16: 08             # 8: not octal, read as a float
  i17: 09.5           # 9.5
  i18: 0X1F
  i19: -0x1F
  i20: 0x_1F          # 31: underscores are dropped first
  i21: 1__0           # 10
  i22: _1             # "_1"
  i24: 0xFFFFFFFFFFFFFFFF     # float
  i25: 0o             # "0o"
  i26: 0x             # "0x"
  i27: -017           # -15
  i28: +0x10          # 16
  i29: 190:20:30      # "190:20:30": no base 60
  i30: 1,000          # "1,000"
  i31: 0.
  i32: -0
  fl1: 1.5
  fl2: 1e3
  fl3: .5
  fl4: 1.0
  fl5: 1E3
  fl6: 1.5e-7
  fl7: 1e21
  fl8: 1e400          # "1e400": overflow keeps the string
  fl9: -.5
  fl10: +.5
  fl11: 1.
  fl12: 1_0.5
  fl13: 6.8523015e+5
  fl14: 1e            # "1e"
  fl15: .             # "."
  fl16: -1.5e-3
  fl17: 0.1
  fl18: 1e-400        # 0
  fl19: 2.5e+30
  fl20: -0.0
  fl21: 12345678901234567890.5
  fl22: .5_5
  s1: "1.0.0"
  s2: 0.1.0
  s3: 2001-12-14      # "2001-12-14": timestamps stay strings
  s4: 2001-12-14T21:59:43.10-05:00
  s5: 2001-12-14 21:59:43.10 -5
  s6: 12:30
  s7: 1.2.3
  s8: =
  s9: <<x
  s10: '123'
  s11: 0x1G
  s12: inf
  s13: nan
  s14: .Inf2
  s15: <<
  keys:
    1: a
    0x1F: b           # "31"
    yes: c            # "true"
    1.5: d
    1e3: e            # "1000"
    1.23456789: f     # "1.2345679": float keys are formatted as float32
    -1: g
    .inf: h
    08: i             # "8"
    1.0e20: j         # "1e+20"
    2001-12-14: k
    off: l            # "false"
  tags:
    a: !!str 123      # "123"
    b: !!int "123"    # 123
    c: !foo 123       # "123"
    d: !!float 1      # 1
    e: ! 12           # "12"
    f: !!binary aGVsbG8=  # "hello"
    g: !!null ""
    h: !!bool "yes"   # true
  merge:
    base: &base {p: 1, q: 2}
    explicit_after:
      <<: *base
      p: 9
    list:
      <<: [{p: 1, r: 1}, {p: 2, s: 2}]
      s: 5
  anchors:
    a: &anchor [1, {x: 2}]
    b: *anchor
  strings:
    single: 'it''s'
    double: "tab\tnewline\n"
    literal: |
      line1
      line2
    folded: >
      a
      b
    plain_multi: one
      two
)";

TEST_F(KubectlYaml, ScalarResolutionMatches) {
  std::string yaml = std::string(kHeader) + kResolution;
  ProcessResult r = to_json_with_kubectl("resolution.yaml", yaml);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Value theirs = parse_json(r.out, "kubectl-output.json");
  Value ours = parse_yaml(yaml, "resolution.yaml");
  const Value* their_spec = theirs.find("spec");
  const Value* our_spec = ours.find("spec");
  ASSERT_TRUE(their_spec && our_spec);
  ASSERT_EQ(their_spec->size(), our_spec->size());
  size_t compared = 0;
  for (const Member& m : our_spec->as_map()) {
    const Value* t = their_spec->find(m.key);
    ASSERT_TRUE(t) << "kubectl has no key " << m.key;
    // equals(): unordered keys (kubectl sorts them), ints and floats by value
    // (kubectl prints 1.0 as 1: its JSON round trip makes integral floats ints).
    EXPECT_TRUE(m.value.equals(*t))
        << m.key << " (resolution.yaml:" << m.value.span().line << "): ours " << to_json(m.value)
        << ", kubectl " << to_json(*t);
    ++compared;
  }
  EXPECT_GT(compared, 100u);
}

TEST_F(KubectlYaml, ConversionsKubectlRejectsFailHereToo) {
  struct Case {
    const char* spec;
    const char* kubectl_says;
  };
  const Case cases[] = {
      {"spec:\n  a: .nan\n", "unsupported value: NaN"},
      {"spec:\n  a: -.inf\n", "unsupported value: -Inf"},
      {"spec:\n  ~: a\n", "unsupported map key"},
      {"spec:\n  18446744073709551615: a\n", "unsupported map key"},
      {"spec:\n  a: !!int abc\n", "cannot decode !!str `abc` as a !!int"},
  };
  int n = 0;
  for (const auto& c : cases) {
    std::string yaml = std::string(kHeader) + c.spec;
    ProcessResult r = to_json_with_kubectl("bad" + std::to_string(n++) + ".yaml", yaml);
    EXPECT_NE(r.exit_code, 0) << c.spec;
    EXPECT_THAT(r.err, HasSubstr(c.kubectl_says)) << c.spec;
    // We fail either while parsing or when writing JSON.
    EXPECT_THROW(to_json(parse_yaml(yaml, "bad.yaml")), Error) << c.spec;
  }
  try {
    parse_yaml(std::string(kHeader) + cases[4].spec, "bad.yaml");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.why(), HasSubstr(cases[4].kubectl_says));
  }
}

TEST_F(KubectlYaml, PrettyJsonIsByteForByteKubectls) {
  // Keys in sorted order, because kubectl sorts them.
  const std::string yaml = std::string(kHeader) + R"(spec:
  a: "<>&\b\f\t\n\r\x01\x7f\u2028\u2029\u00e9\U0001F600\"\\/"
  b: []
  c: {}
  d: 1.5e-7
  e: [1, {}, [[]], -2, 2.5, 1e+300, true, false, null]
  f:
    g: {h: [x, "y z"]}
  i: 0.000001
  j: -123.456
  k: 1e21
  l: ""
)";
  ProcessResult r = to_json_with_kubectl("format.yaml", yaml);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(to_json_pretty(parse_json(r.out)), r.out);
  EXPECT_EQ(to_json_pretty(parse_yaml(yaml, "format.yaml")), r.out);
}

TEST_F(KubectlYaml, DuplicateKeyMessageMatchesKustomize) {
  const std::string yaml = std::string(kHeader) + "spec:\n  a: 1\n  b: 2\n  a: 3\n";
  dir_.write("dup/object.yaml", yaml);
  dir_.write("dup/kustomization.yaml", "resources:\n- object.yaml\n");
  ProcessResult r = kubectl({"kustomize", (dir_.path() / "dup").string()});
  ASSERT_NE(r.exit_code, 0);
  std::smatch m;
  std::string err = r.err;
  ASSERT_TRUE(
      std::regex_search(err, m, std::regex("mapping key \"a\" already defined at line [0-9]+")))
      << err;
  try {
    parse_yaml(yaml, "object.yaml");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.why(), m.str());
    EXPECT_EQ(e.where().line, 8u);
  }
}

TEST_F(KubectlYaml, YamlOutputIsByteForByteKustomizes) {
  // kustomize re-encodes a ConfigMap, so its output shows its scalar styles.
  const std::vector<std::string> values = {
      "true",
      "1.0",
      "null",
      "012",
      " lead",
      "trail ",
      "a: b",
      "a #b",
      "#x",
      "- x",
      "*x",
      "&x",
      "!x",
      "|x",
      ">x",
      "'x",
      "\"x",
      "%x",
      "@x",
      "`x",
      "{x",
      "[x",
      ",x",
      "?x",
      "",
      "yes",
      "0x1F",
      "1e3",
      "~",
      "line1\nline2\n",
      "line1\nline2",
      "line1\nline2\n\n",
      "tab\there",
      "a:b",
      "a#b",
      "x:",
      "2001-12-14",
      "2001-12-14 21:59:43.10 -5",
      "1_000",
      "y",
      "on",
      "  leading\nspaces",
      "trailing \nspace",
      "\n",
      "ctrl\x01",
      "\xC3\xA9 \xC3\xBC",
      "- ",
      "-",
      ":",
      "?",
      "a,b",
      "08",
      ".5",
      "1.0.0",
      "x\n  indented\n",
      "nbsp\xC2\xA0",
      "=",
      "<<",
      "---",
      "...",
      "a\rb",
      "\ttab",
      "a: ",
      "12:30",
      "0o17",
      ".NaN",
      "emoji \xF0\x9F\x98\x80",
      "a\n b\n",
      " \n",
      "a\n\n\nb",
      "\n\na",
      "a\n  ",
      "x\r\ny",
      "\xE2\x80\xA9x",
      "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq rrrr "
      "ssss tttt uuuu",
      " aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq rrrr "
      "ssss tttt uuuu",
      "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq rrrr "
      "ssss tttt uuuu\t",
      "line one which is quite long aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll "
      "mmmm nnnn\nsecond\n",
  };
  std::string yaml = "apiVersion: v1\ndata:\n";
  for (size_t i = 0; i < values.size(); ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "k%03zu", i);
    yaml += std::string("  ") + key + ": " + to_json(Value(values[i])) + "\n";
  }
  yaml +=
      "  k900:\n  - a\n  - - b\n    - c\n  - {}\n  - []\n  - d: e\n    f:\n    - g\n"
      "  k901: {}\n"
      "  \"k902 " +
      std::string(130, 'x') +
      "\": x\n"
      "  \"k903\\nmulti\": x\n"
      "kind: ConfigMap\n"
      "metadata:\n"
      "  name: x\n";
  dir_.write("cm/cm.yaml", yaml);
  dir_.write("cm/kustomization.yaml", "resources:\n- cm.yaml\n");
  ProcessResult r = kubectl({"kustomize", (dir_.path() / "cm").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Value ours = parse_yaml(yaml, "cm.yaml");
  EXPECT_EQ(to_yaml(ours), r.out);
  // And we read kustomize's output back to the same values.
  EXPECT_TRUE(parse_yaml(r.out, "kustomize-output.yaml").equals(ours, true));
}

}  // namespace
}  // namespace gantry::doc
