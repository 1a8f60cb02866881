// gantry inspect: show an image's manifest, platforms, config and layers.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/command.h"
#include "cli/oci_common.h"
#include "doc/json.h"

namespace gantry::cli {

namespace {

struct InspectFlags {
  std::string ref;
  bool raw = false;
  bool config = false;
  RegistryFlags reg;
};

doc::Value image_value(oci::Session& s, const oci::ImageLocation& loc, const oci::Manifest& m,
                       doc::Value* cfg_out) {
  doc::Value v = doc::Value::map();
  v.set("digest", m.digest.str());
  v.set("mediaType", m.media_type);
  v.set("size", static_cast<int64_t>(m.bytes.size()));
  v.set("config", oci::descriptor_value(m.config));
  doc::Value layers = doc::Value::list();
  int64_t total = 0;
  for (const auto& l : m.layers) {
    layers.push_back(oci::descriptor_value(l));
    total += l.size;
  }
  v.set("layers", layers);
  v.set("layersSize", total);
  if (oci::media::kOciConfig == m.config.media_type ||
      oci::media::kDockerConfig == m.config.media_type) {
    std::string raw = oci::read_small_blob(s, loc, m.config);
    doc::Value cfg = doc::parse_json(raw, "config " + m.config.digest.str());
    if (cfg_out) *cfg_out = cfg;
    std::string plat = cfg.get_string("os") + "/" + cfg.get_string("architecture");
    if (!cfg.get_string("variant").empty()) plat += "/" + cfg.get_string("variant");
    v.set("platform", plat);
    if (!cfg.get_string("created").empty()) v.set("created", cfg.get_string("created"));
  }
  return v;
}

int run_inspect(const InspectFlags& f) {
  oci::ImageLocation loc = oci::parse_location(f.ref);
  if (!loc.is_layout()) loc.cred = flag_credential(f.reg, f.reg.creds);
  oci::Session session = make_session(f.reg);
  oci::Manifest m = oci::read_manifest(session, loc);
  if (f.raw) {
    std::cout << m.bytes;
    return 0;
  }
  if (f.config) {
    if (m.is_index())
      throw Error(loc.str() + " is an index; inspect one platform by digest for its config");
    std::cout << oci::read_small_blob(session, loc, m.config);
    return 0;
  }
  doc::Value out = doc::Value::map();
  out.set("name", loc.str());
  if (m.is_index()) {
    out.set("digest", m.digest.str());
    out.set("mediaType", m.media_type);
    out.set("size", static_cast<int64_t>(m.bytes.size()));
    doc::Value list = doc::Value::list();
    for (const auto& d : m.manifests)
      list.push_back(oci::descriptor_value(d));
    out.set("manifests", list);
  } else {
    doc::Value img = image_value(session, loc, m, nullptr);
    for (auto& mem : img.as_map())
      out.set(mem.key, mem.value);
  }
  if (json_output(f.reg)) {
    std::cout << doc::to_json_pretty(out, 2) << "\n";
    return 0;
  }
  std::cout << "Name:       " << loc.str() << "\n"
            << "Digest:     " << m.digest.str() << "\n"
            << "MediaType:  " << m.media_type << "\n"
            << "Size:       " << m.bytes.size() << "\n";
  if (m.is_index()) {
    std::cout << "Manifests:\n";
    for (const auto& d : m.manifests)
      std::cout << "  " << d.digest.str() << "  " << (d.platform ? d.platform->str() : "-") << "  "
                << d.size << "  " << d.media_type << "\n";
  } else {
    if (const doc::Value* p = out.find("platform"))
      std::cout << "Platform:   " << p->as_string() << "\n";
    if (const doc::Value* c = out.find("created"))
      std::cout << "Created:    " << c->as_string() << "\n";
    std::cout << "Config:     " << m.config.digest.str() << "  " << m.config.size << "  "
              << m.config.media_type << "\n"
              << "Layers:\n";
    for (const auto& l : m.layers)
      std::cout << "  " << l.digest.str() << "  " << l.size << "  " << l.media_type << "\n";
  }
  return 0;
}

}  // namespace

void add_inspect_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<InspectFlags>();
  CLI::App* cmd =
      app.add_subcommand("inspect", "Show an image's digest, platforms, config and layers");
  cmd->add_option("image", f->ref, "Image reference or oci:DIR[:TAG]")->required();
  cmd->add_flag("--raw", f->raw, "Print the manifest exactly as stored");
  cmd->add_flag("--config", f->config, "Print the image's config blob");
  add_registry_flags(cmd, f->reg, false);
  cmd->callback([f, &action] { action = [f] { return run_inspect(*f); }; });
}

}  // namespace gantry::cli
