#include "build/stages.h"

#include <algorithm>
#include <cctype>
#include <functional>

#include "build/expand.h"
#include "core/error.h"

namespace gantry::build {
namespace {

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// `from=` inside a --mount value such as type=cache,from=build,target=/x.
std::string mount_from(const std::string& mount) {
  size_t pos = 0;
  while (pos <= mount.size()) {
    size_t comma = mount.find(',', pos);
    std::string field =
        mount.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (field.rfind("from=", 0) == 0) return field.substr(5);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return "";
}

}  // namespace

int StageGraph::find(const std::string& name) const {
  std::string n = lower(name);
  for (const Stage& s : stages)
    if (!s.name.empty() && s.name == n) return static_cast<int>(s.index);
  if (!n.empty() &&
      std::all_of(n.begin(), n.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) &&
      n.size() < 6) {
    size_t idx = std::stoul(n);
    if (idx < stages.size()) return static_cast<int>(idx);
  }
  return -1;
}

StageGraph plan_stages(const Dockerfile& df, const std::map<std::string, std::string>& build_args,
                       const std::map<std::string, std::string>& predefined) {
  StageGraph g;
  Lookup global = [&](std::string_view name) -> std::optional<std::string> {
    auto it = g.global_args.find(std::string(name));
    if (it != g.global_args.end()) return it->second;
    auto p = predefined.find(std::string(name));
    if (p != predefined.end()) return p->second;
    return std::nullopt;
  };
  for (const Instruction& ins : df.instructions) {
    Location where{df.file, ins.line, 0};
    if (ins.keyword == "FROM") {
      std::vector<std::string> words = expand_words(ins.args, global, df.escape, where);
      Stage s;
      s.index = g.stages.size();
      s.line = ins.line;
      if (words.size() == 3 && lower(words[1]) == "as") {
        s.name = lower(words[2]);
        if (g.find(s.name) >= 0 && g.stages[static_cast<size_t>(g.find(s.name))].name == s.name)
          throw Error(where, "duplicate stage name " + s.name);
      } else if (words.size() != 1) {
        throw Error(where, "FROM requires either one argument, or three: FROM <image> [AS <name>]");
      }
      s.base = words[0];
      if (s.base.empty()) throw Error(where, "base name (" + ins.args + ") should not be blank");
      if (const Flag* p = ins.flag("platform"))
        s.platform = expand_word(p->value, global, df.escape, where);
      g.stages.push_back(std::move(s));
      // FROM <name> only refers to stages before it.
      Stage& cur = g.stages.back();
      for (size_t k = 0; k < cur.index; ++k)
        if (!g.stages[k].name.empty() && g.stages[k].name == lower(cur.base))
          cur.base_stage = static_cast<int>(k);
      continue;
    }
    if (g.stages.empty()) {
      if (ins.keyword != "ARG")
        throw Error(where, "no build stage: " + ins.keyword + " before the first FROM");
      for (const KeyValue& kv : expand_key_values("ARG", ins.args, global, df.escape, where)) {
        auto arg = build_args.find(kv.key);
        if (arg != build_args.end())
          g.global_args[kv.key] = arg->second;
        else if (kv.has_value)
          g.global_args[kv.key] = kv.value;
        else
          g.global_args.erase(kv.key);
      }
      continue;
    }
    g.stages.back().steps.push_back(ins);
  }
  if (g.stages.empty())
    throw Error(Location{df.file, 0, 0}, "the Dockerfile has no FROM instruction");
  for (Stage& s : g.stages) {
    std::vector<size_t> deps;
    if (s.base_stage >= 0) deps.push_back(static_cast<size_t>(s.base_stage));
    for (const Instruction& ins : s.steps) {
      std::vector<std::string> refs;
      if (ins.keyword == "COPY")
        if (const Flag* f = ins.flag("from")) refs.push_back(f->value);
      if (ins.keyword == "RUN")
        for (const Flag& f : ins.flags)
          if (f.name == "mount" && !mount_from(f.value).empty())
            refs.push_back(mount_from(f.value));
      for (const std::string& r : refs) {
        int idx = g.find(r);
        if (idx >= 0) deps.push_back(static_cast<size_t>(idx));
      }
    }
    std::sort(deps.begin(), deps.end());
    deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
    s.depends_on = std::move(deps);
  }
  return g;
}

std::vector<size_t> StageGraph::needed_for(const std::string& target,
                                           const std::string& file) const {
  size_t root = stages.size() - 1;
  if (!target.empty()) {
    int idx = find(target);
    if (idx < 0)
      throw Error(Location{file, 0, 0}, "target stage \"" + target + "\" could not be found",
                  ExitCode::kNotFound);
    root = static_cast<size_t>(idx);
  }
  std::vector<int> state(stages.size(), 0);  // 0 new, 1 visiting, 2 done
  std::vector<size_t> order;
  std::function<void(size_t)> visit = [&](size_t i) {
    if (state[i] == 2) return;
    if (state[i] == 1)
      throw Error(Location{file, stages[i].line, 0},
                  "circular dependency detected on stage " +
                      (stages[i].name.empty() ? std::to_string(i) : stages[i].name));
    state[i] = 1;
    for (size_t d : stages[i].depends_on)
      visit(d);
    state[i] = 2;
    order.push_back(i);
  };
  visit(root);
  return order;
}

}  // namespace gantry::build
