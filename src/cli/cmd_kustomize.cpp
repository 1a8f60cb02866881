// gantry kustomize DIR: a drop-in for `kubectl kustomize DIR`, built by the
// native engine. Writes the objects as one YAML stream to stdout (or a file).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

#include "cli/command.h"
#include "core/file.h"
#include "doc/yaml.h"
#include "kustomize/kustomize.h"

namespace gantry::cli {

namespace fs = std::filesystem;

namespace {

struct KustomizeFlags {
  std::string dir = ".";
  std::string output;
  std::string root;
};

int run_kustomize(const KustomizeFlags& f) {
  kustomize::Options opts;
  // Like kubectl kustomize, bases may live anywhere (files named by a
  // kustomization must still be in or below its directory); --root narrows it.
  opts.root = f.root.empty() ? fs::path("/") : fs::path(f.root);
  std::vector<kustomize::Resource> resources = kustomize::build(f.dir, opts);
  std::string out;
  bool first = true;
  for (const auto& r : resources) {
    if (!first) out += "---\n";
    first = false;
    out += doc::to_yaml(r.object);
  }
  if (f.output.empty()) {
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  } else {
    write_file_atomic(f.output, out);
  }
  return 0;
}

}  // namespace

void add_kustomize_command(CLI::App& app, Action& action) {
  auto flags = std::make_shared<KustomizeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "kustomize", "Build a kustomization directory (a drop-in for `kubectl kustomize DIR`)");
  cmd->add_option("dir", flags->dir, "Directory holding the kustomization (default: .)");
  cmd->add_option("-o,--output", flags->output, "Write the YAML stream to this file");
  cmd->add_option("--root", flags->root,
                  "No file outside this directory may be read (default: no limit, as kubectl)");
  cmd->callback([flags, &action] { action = [flags] { return run_kustomize(*flags); }; });
}

}  // namespace gantry::cli
