// USER and --chown: names looked up in the image's own /etc/passwd and
// /etc/group (the topmost layer that has them), as runc does.
#include <sstream>

#include "build/container.h"
#include "build/layered_view.h"
#include "core/error.h"
#include "core/file.h"

namespace gantry::build {
namespace {

std::vector<std::vector<std::string>> read_db(const LayeredView& view, const char* path) {
  std::vector<std::vector<std::string>> rows;
  auto e = view.lookup(path, true);
  if (!e || e->host.empty() || !S_ISREG(e->st.st_mode)) return rows;
  std::istringstream in(read_file(e->host, 16u << 20));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    size_t start = 0;
    for (;;) {
      size_t colon = line.find(':', start);
      fields.push_back(line.substr(start, colon - start));
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    rows.push_back(std::move(fields));
  }
  return rows;
}

std::optional<uint32_t> numeric(const std::string& s) {
  if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  unsigned long v = std::stoul(s);
  if (v > 0xffffffffUL) return std::nullopt;
  return static_cast<uint32_t>(v);
}

}  // namespace

ResolvedUser resolve_user(const std::vector<std::filesystem::path>& lowers,
                          const std::filesystem::path& upper, const std::string& user) {
  std::vector<std::filesystem::path> layers = lowers;
  if (!upper.empty()) layers.push_back(upper);
  LayeredView view(layers);
  std::string name = user.substr(0, user.find(':'));
  std::string group = user.find(':') == std::string::npos ? "" : user.substr(user.find(':') + 1);
  ResolvedUser out;
  if (name.empty()) name = "0";
  auto passwd = read_db(view, "/etc/passwd");
  auto groups = read_db(view, "/etc/group");
  std::string user_name;
  if (auto n = numeric(name)) {
    out.uid = *n;
    for (const auto& row : passwd)
      if (row.size() >= 4 && numeric(row[2]) == out.uid) {
        out.gid = numeric(row[3]).value_or(0);
        user_name = row[0];
        if (row.size() >= 6) out.home = row[5];
        break;
      }
  } else {
    bool found = false;
    for (const auto& row : passwd)
      if (row.size() >= 4 && row[0] == name) {
        out.uid = numeric(row[2]).value_or(0);
        out.gid = numeric(row[3]).value_or(0);
        user_name = name;
        if (row.size() >= 6) out.home = row[5];
        found = true;
        break;
      }
    if (!found)
      throw Error("unable to find user " + name + ": no matching entries in passwd file",
                  ExitCode::kInvalidInput);
  }
  if (!group.empty()) {
    if (auto n = numeric(group)) {
      out.gid = *n;
    } else {
      bool found = false;
      for (const auto& row : groups)
        if (row.size() >= 3 && row[0] == group) {
          out.gid = numeric(row[2]).value_or(0);
          found = true;
          break;
        }
      if (!found)
        throw Error("unable to find group " + group + ": no matching entries in group file",
                    ExitCode::kInvalidInput);
    }
  } else if (!user_name.empty()) {
    // Supplementary groups list the user by name.
    for (const auto& row : groups) {
      if (row.size() < 4) continue;
      std::stringstream members(row[3]);
      std::string m;
      while (std::getline(members, m, ','))
        if (m == user_name)
          if (auto g = numeric(row[2]); g && *g != out.gid) out.groups.push_back(*g);
    }
  }
  return out;
}

}  // namespace gantry::build
