// Header-only (shared by unit and integration tests): the differential kustomize corpus
// (tests/data/kustomize/<case>/): listing cases and comparing object streams field by field.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "doc/json.h"
#include "doc/value.h"
#include "doc/yaml.h"

namespace gantry::testing {

namespace fs = std::filesystem;

// The corpora: "kustomize" (hand-made cases, each directory is the kustomization)
// and "kustomize-krusty" (from kustomize's own tests: each case holds the files
// under in/, the directory to build in build-dir and kubectl flags in flags).
inline fs::path kustomize_corpus_dir(const std::string& corpus = "kustomize") {
  return fs::path(GANTRY_SOURCE_DIR) / "tests/data" / corpus;
}

// Cases whose directory holds `marker`.
inline std::vector<std::string> kustomize_cases_with(const char* marker,
                                                     const std::string& corpus = "kustomize") {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kustomize_corpus_dir(corpus), ec))
    if (e.is_directory() && fs::exists(e.path() / marker))
      out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Cases kubectl builds: expected.yaml is its output.
inline std::vector<std::string> kustomize_corpus_cases(const std::string& corpus = "kustomize") {
  return kustomize_cases_with("expected.yaml", corpus);
}

// Cases kubectl refuses: expected-error.txt holds a phrase its error message
// contains (and gantry's must contain too).
inline std::vector<std::string> kustomize_error_cases(const std::string& corpus = "kustomize") {
  return kustomize_cases_with("expected-error.txt", corpus);
}

// Every case of a corpus, those kubectl builds and those it fails on, sorted.
inline std::vector<std::string> kustomize_all_cases(const std::string& corpus) {
  auto cases = kustomize_corpus_cases(corpus);
  auto errors = kustomize_error_cases(corpus);
  cases.insert(cases.end(), errors.begin(), errors.end());
  std::sort(cases.begin(), cases.end());
  return cases;
}

inline std::string kustomize_first_line(const fs::path& file) {
  std::string s;
  std::ifstream in(file);
  std::getline(in, s);
  return s;
}

inline std::string kustomize_expected_error(const std::string& name,
                                            const std::string& corpus = "kustomize") {
  return kustomize_first_line(kustomize_corpus_dir(corpus) / name / "expected-error.txt");
}

// The files of a case: its in/ directory when it has one, else the case itself.
inline fs::path kustomize_case_root(const std::string& name,
                                    const std::string& corpus = "kustomize") {
  fs::path dir = kustomize_corpus_dir(corpus) / name;
  return fs::is_directory(dir / "in") ? dir / "in" : dir;
}

// The directory to build: in/<build-dir> when the case names one.
inline fs::path kustomize_case_build_dir(const std::string& name,
                                         const std::string& corpus = "kustomize") {
  fs::path dir = kustomize_corpus_dir(corpus) / name;
  if (!fs::exists(dir / "build-dir")) return kustomize_case_root(name, corpus);
  return (kustomize_case_root(name, corpus) / kustomize_first_line(dir / "build-dir"))
      .lexically_normal();
}

// Extra `kubectl kustomize` flags of a case (one per line in its flags file);
// "HELM" stands for the helm binary the tests use.
inline std::vector<std::string> kustomize_case_flags(const std::string& name,
                                                     const std::string& corpus = "kustomize") {
  std::vector<std::string> out;
  std::ifstream in(kustomize_corpus_dir(corpus) / name / "flags");
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line == "HELM" ? std::string(GANTRY_TEST_HELM) : line);
  return out;
}

// Known differences of a corpus: "<case> <reason>" per line ('#' comments);
// case name -> reason.
inline std::map<std::string, std::string> kustomize_known_differences(const std::string& corpus) {
  std::map<std::string, std::string> out;
  std::ifstream in(kustomize_corpus_dir(corpus) / "known-differences.txt");
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.find(' ');
    std::string name = line.substr(0, sp);
    std::string why = sp == std::string::npos ? "" : line.substr(sp + 1);
    why.erase(0, why.find_first_not_of(' '));
    out[name] = why;
  }
  return out;
}

// kubectl logs its error with quotes escaped (\"): the message as written.
inline std::string unescape_quotes(std::string s) {
  for (size_t p = 0; (p = s.find("\\\"", p)) != std::string::npos;)
    s.erase(p, 1);
  return s;
}

inline std::string case_test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

inline std::vector<doc::Value> parse_objects(const std::string& text, const std::string& name) {
  std::vector<doc::Value> out;
  for (auto& d : doc::parse_yaml_stream(text, name))
    if (!d.is_null()) out.push_back(std::move(d));
  return out;
}

namespace kustomize_corpus_detail {

inline std::string show(const doc::Value& v) {
  std::string s = doc::to_json(v);
  if (s.size() > 300) s = s.substr(0, 300) + "...";
  return s;
}

// The path of the first difference between a and b, or "" when equal.
inline std::string first_difference(const doc::Value& a, const doc::Value& b,
                                    const std::string& path) {
  if (a.equals(b)) return {};
  if (a.is_map() && b.is_map()) {
    for (const auto& m : a.as_map()) {
      const doc::Value* o = b.find(m.key);
      if (!o) return path + "." + m.key + ": expected " + show(m.value) + ", missing";
      std::string d = first_difference(m.value, *o, path + "." + m.key);
      if (!d.empty()) return d;
    }
    for (const auto& m : b.as_map())
      if (!a.find(m.key)) return path + "." + m.key + ": unexpected " + show(m.value);
  }
  if (a.is_list() && b.is_list()) {
    const auto& x = a.as_list();
    const auto& y = b.as_list();
    for (size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
      std::string d = first_difference(x[i], y[i], path + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    if (x.size() != y.size())
      return path + ": expected " + std::to_string(x.size()) + " elements, got " +
             std::to_string(y.size());
  }
  return path + ": expected " + show(a) + ", got " + show(b);
}

inline std::string identity(const doc::Value& o) {
  const doc::Value* meta = o.find("metadata");
  std::string ns = meta ? meta->get_string("namespace") : "";
  return o.get_string("kind") + " " + (ns.empty() ? "" : ns + "/") +
         (meta ? meta->get_string("name") : "");
}

}  // namespace kustomize_corpus_detail

inline std::string compare_objects(const std::vector<doc::Value>& want,
                                   const std::vector<doc::Value>& got) {
  for (size_t i = 0; i < std::min(want.size(), got.size()); ++i) {
    std::string d = kustomize_corpus_detail::first_difference(want[i], got[i], "");
    if (!d.empty())
      return "object #" + std::to_string(i) + " (expected " +
             kustomize_corpus_detail::identity(want[i]) + ", got " +
             kustomize_corpus_detail::identity(got[i]) + ") differs at " + d;
  }
  if (want.size() != got.size()) {
    std::string s =
        "expected " + std::to_string(want.size()) + " objects, got " + std::to_string(got.size());
    if (got.size() > want.size())
      s += "; first extra: " + kustomize_corpus_detail::identity(got[want.size()]);
    else
      s += "; first missing: " + kustomize_corpus_detail::identity(want[got.size()]);
    return s;
  }
  return {};
}

}  // namespace gantry::testing
