// Header-only (shared by the unit and integration tests): the robustness corpus of
// gantry update (tests/data/update/<case>/): input/<file>, expected/<file>, args
// (one command-line word per line: --marker, --image, --setter), sed (first line: differs | same |
// skip, then why) and, for cases gantry must refuse, error (the expected message prefix).
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "automation/update.h"
#include "core/file.h"

namespace gantry::testing {

namespace fs = std::filesystem;

struct UpdateCase {
  std::string name;
  std::string file;  // the single file name inside input/ and expected/
  fs::path input;
  fs::path expected;
  std::vector<std::string> args;
  std::string sed;  // differs | same | skip
  std::string why;
  std::string error;  // empty unless gantry must refuse
};

inline fs::path update_corpus_dir() {
  return fs::path(GANTRY_SOURCE_DIR) / "tests/data/update";
}

inline std::vector<std::string> read_lines(const fs::path& p) {
  std::vector<std::string> out;
  if (!fs::exists(p)) return out;
  std::istringstream in(read_file(p));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

inline std::vector<UpdateCase> update_corpus() {
  std::vector<UpdateCase> out;
  for (const auto& e : fs::directory_iterator(update_corpus_dir())) {
    if (!e.is_directory()) continue;
    UpdateCase c;
    c.name = e.path().filename().string();
    for (const auto& f : fs::directory_iterator(e.path() / "input"))
      c.file = f.path().filename().string();
    c.input = e.path() / "input" / c.file;
    c.expected = e.path() / "expected" / c.file;
    c.args = read_lines(e.path() / "args");
    auto sed = read_lines(e.path() / "sed");
    c.sed = sed.empty() ? "skip" : sed[0];
    c.why = sed.size() > 1 ? sed[1] : "";
    auto err = read_lines(e.path() / "error");
    c.error = err.empty() ? "" : err[0];
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(),
            [](const UpdateCase& a, const UpdateCase& b) { return a.name < b.name; });
  return out;
}

inline automation::UpdateOptions update_options(const std::vector<std::string>& args) {
  automation::UpdateOptions o;
  for (size_t i = 0; i + 1 < args.size(); i += 2) {
    const std::string& a = args[i + 1];
    size_t eq = a.find('=');
    if (args[i] == "--setter") {  // NS:NAME=IMAGE:TAG
      std::string ref = a.substr(eq + 1);
      size_t colon = ref.rfind(':');
      o.setters[a.substr(0, eq)] = {ref.substr(0, colon), ref.substr(colon + 1)};
      continue;
    }
    size_t at = a.find('@');
    if (args[i] == "--image" && at != std::string::npos) {  // NAME[=TAG]@DIGEST
      o.digests.emplace_back(a.substr(0, std::min(eq, at)), a.substr(at + 1));
      if (eq != std::string::npos)
        o.images.emplace_back(a.substr(0, eq), a.substr(eq + 1, at - eq - 1));
      continue;
    }
    auto kv = std::make_pair(a.substr(0, eq), a.substr(eq + 1));
    (args[i] == "--marker" ? o.markers : o.images).push_back(kv);
  }
  return o;
}

// The marker NAME and VALUE of a marker case (for the course's sed line).
inline std::pair<std::string, std::string> marker_of(const UpdateCase& c) {
  auto o = update_options(c.args);
  return o.markers.empty() ? std::pair<std::string, std::string>{} : o.markers.front();
}

}  // namespace gantry::testing
