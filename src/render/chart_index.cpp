#include "render/chart_index.h"

#include <algorithm>
#include <cctype>

#include "doc/value.h"
#include "doc/yaml.h"

namespace gantry::render {

namespace {

std::string scalar_text(const doc::Value& v, const std::string& what) {
  if (v.is_string()) return v.as_string();
  if (v.is_int()) return std::to_string(v.as_int());
  v.fail(what + " must be a string");
}

}  // namespace

ChartIndex ChartIndex::parse(std::string_view text, const std::string& where) {
  doc::Value doc = doc::parse_yaml(text, where);
  if (!doc.is_map()) doc.fail("a chart repository index must be a mapping");
  ChartIndex index;
  const doc::Value* entries = doc.find("entries");
  if (!entries || entries->is_null()) return index;
  if (!entries->is_map()) entries->fail("entries must be a mapping of chart names");
  for (const auto& m : entries->as_map()) {
    if (m.value.is_null()) continue;
    if (!m.value.is_list()) m.value.fail("entries." + m.key + " must be a list of versions");
    auto& list = index.entries_[m.key];
    for (const auto& v : m.value.as_list()) {
      if (!v.is_map()) v.fail("a chart version entry must be a mapping");
      ChartIndexEntry e;
      const doc::Value* version = v.find("version");
      if (!version || version->is_null()) v.fail("a chart version entry has no version");
      e.version = scalar_text(*version, "version");
      if (const doc::Value* urls = v.find("urls"); urls && !urls->is_null()) {
        if (!urls->is_list()) urls->fail("urls must be a list");
        for (const auto& u : urls->as_list())
          e.urls.push_back(scalar_text(u, "a url"));
      }
      if (const doc::Value* d = v.find("digest"); d && !d->is_null()) {
        e.digest = scalar_text(*d, "digest");
        if (e.digest.rfind("sha256:", 0) == 0) e.digest.erase(0, 7);
        std::transform(e.digest.begin(), e.digest.end(), e.digest.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        bool hex =
            e.digest.size() == 64 && std::all_of(e.digest.begin(), e.digest.end(), [](char c) {
              return std::isxdigit(static_cast<unsigned char>(c)) != 0;
            });
        if (!hex) d->fail("digest must be a sha256 (64 hex digits)");
      }
      list.push_back(std::move(e));
    }
  }
  return index;
}

std::vector<std::string> ChartIndex::versions(const std::string& name) const {
  std::vector<std::string> out;
  auto it = entries_.find(name);
  if (it == entries_.end()) return out;
  for (const auto& e : it->second)
    out.push_back(e.version);
  return out;
}

const ChartIndexEntry* ChartIndex::find(const std::string& name, const std::string& version) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) return nullptr;
  for (const auto& e : it->second)
    if (e.version == version) return &e;
  return nullptr;
}

}  // namespace gantry::render
