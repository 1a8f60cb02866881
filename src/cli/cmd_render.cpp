// gantry render: print (or write) the objects a target would get.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/command.h"
#include "cli/project_flags.h"
#include "core/file.h"
#include "doc/yaml.h"
#include "render/render.h"

namespace gantry::cli {

namespace fs = std::filesystem;

namespace {

struct RenderFlags {
  ProjectFlags project;
  std::string output_dir;
};

// A file name for one object: <Kind>-<namespace>-<name>.yaml (no namespace
// part for cluster-scoped objects), with characters outside [A-Za-z0-9._-] as '_'.
std::string object_file_name(const doc::Value& obj) {
  const doc::Value* meta = obj.find("metadata");
  std::string ns = meta ? meta->get_string("namespace") : "";
  std::string name = meta ? meta->get_string("name", meta->get_string("generateName")) : "";
  std::string s = obj.get_string("kind") + "-" + (ns.empty() ? "" : ns + "-") + name;
  for (char& c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) c = '_';
  return s + ".yaml";
}

int run_render(const RenderFlags& f) {
  auto start = std::chrono::steady_clock::now();
  render::RenderResult result = render::render_project(f.project.request());
  if (!f.project.git.lock_file.empty())
    project::write_git_lock(f.project.git.lock_file, result.git_sources);

  if (f.output_dir.empty()) {
    std::string out;
    bool first = true;
    for (const auto& item : result.items) {
      for (const auto& obj : item.objects) {
        if (!first) out += "---\n";
        first = false;
        out += doc::to_yaml(obj.body);
      }
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  } else {
    fs::path dir(f.output_dir);
    for (const auto& item : result.items) {
      if (item.objects.empty()) continue;
      fs::path item_dir = dir / item.item.rel_dir;
      fs::create_directories(item_dir);
      for (const auto& obj : item.objects)
        write_file_atomic(item_dir / object_file_name(obj.body), doc::to_yaml(obj.body));
    }
  }
  if (::isatty(STDERR_FILENO)) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    size_t items = 0;
    for (const auto& i : result.items)
      items += i.item.kind == project::Item::Kind::kPath;
    std::cerr << "rendered " << result.object_count() << " objects from " << items
              << " items for target " << (result.target.name.empty() ? "-" : result.target.name)
              << " in " << ms << " ms\n";
  }
  return 0;
}

}  // namespace

void add_render_command(CLI::App& app, Action& action) {
  auto flags = std::make_shared<RenderFlags>();
  CLI::App* cmd = app.add_subcommand("render", "Render a deployment project for one target");
  add_project_flags(cmd, flags->project, "Render", /*writes_git_lock=*/true);
  cmd->add_option("-o,--output-dir", flags->output_dir,
                  "Write one file per object under this directory instead of printing");
  cmd->callback([flags, &action] { action = [flags] { return run_render(*flags); }; });
}

}  // namespace gantry::cli
