// A classic Helm chart repository's index (`index.yaml`): for each chart
// name, its versions with the archive URLs and the sha256 digest of each
// archive.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::render {

struct ChartIndexEntry {
  std::string version;
  std::vector<std::string> urls;  // absolute, or relative to the index's URL
  std::string digest;             // lower-case hex sha256 of the archive ("" when not given)
};

class ChartIndex {
 public:
  // Parses index.yaml text (read from `where`, a URL for messages). Throws
  // Error (file:line) when it is not YAML or `entries` is malformed.
  static ChartIndex parse(std::string_view text, const std::string& where);

  // The versions offered for `name`, in the index's order (empty when none).
  std::vector<std::string> versions(const std::string& name) const;
  // The entry of `name` at exactly `version`, or nullptr.
  const ChartIndexEntry* find(const std::string& name, const std::string& version) const;

 private:
  std::map<std::string, std::vector<ChartIndexEntry>> entries_;
};

}  // namespace gantry::render
