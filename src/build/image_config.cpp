#include "build/image_config.h"

#include <ctime>

#include "doc/json.h"

namespace gantry::build {
namespace {

std::vector<std::string> strings(const doc::Value* v) {
  std::vector<std::string> out;
  if (v && v->is_list())
    for (const doc::Value& s : v->as_list())
      if (s.is_string()) out.push_back(s.as_string());
  return out;
}

doc::Value string_list(const std::vector<std::string>& v) {
  doc::Value out = doc::Value::list();
  for (const std::string& s : v)
    out.push_back(s);
  return out;
}

doc::Value key_set(const std::set<std::string>& keys) {
  doc::Value out = doc::Value::map();
  for (const std::string& k : keys)
    out.set(k, doc::Value::map());
  return out;
}

}  // namespace

std::string rfc3339(int64_t epoch) {
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

ImageConfig ImageConfig::parse(std::string_view json, std::string_view where) {
  doc::Value v = doc::parse_json(json, where);
  ImageConfig c;
  c.os = v.get_string("os", "linux");
  c.architecture = v.get_string("architecture", "amd64");
  c.variant = v.get_string("variant");
  if (const doc::Value* cfg = v.find("config"); cfg && cfg->is_map()) {
    c.user = cfg->get_string("User");
    c.working_dir = cfg->get_string("WorkingDir");
    c.stop_signal = cfg->get_string("StopSignal");
    c.env = strings(cfg->find("Env"));
    if (const doc::Value* e = cfg->find("Entrypoint"); e && e->is_list()) c.entrypoint = strings(e);
    if (const doc::Value* e = cfg->find("Cmd"); e && e->is_list()) c.cmd = strings(e);
    c.shell = strings(cfg->find("Shell"));
    if (const doc::Value* l = cfg->find("Labels"); l && l->is_map())
      for (const auto& m : l->as_map())
        if (m.value.is_string()) c.labels[m.key] = m.value.as_string();
    if (const doc::Value* p = cfg->find("ExposedPorts"); p && p->is_map())
      for (const auto& m : p->as_map())
        c.exposed_ports.insert(m.key);
    if (const doc::Value* p = cfg->find("Volumes"); p && p->is_map())
      for (const auto& m : p->as_map())
        c.volumes.insert(m.key);
    if (const doc::Value* h = cfg->find("Healthcheck"); h && h->is_map()) c.healthcheck = *h;
    c.onbuild = strings(cfg->find("OnBuild"));
  }
  if (const doc::Value* r = v.find("rootfs")) c.diff_ids = strings(r->find("diff_ids"));
  if (const doc::Value* h = v.find("history"); h && h->is_list()) c.history = *h;
  return c;
}

std::string ImageConfig::to_json(const std::string& created) const {
  doc::Value cfg = doc::Value::map();
  if (!user.empty()) cfg.set("User", user);
  if (!exposed_ports.empty()) cfg.set("ExposedPorts", key_set(exposed_ports));
  if (!env.empty()) cfg.set("Env", string_list(env));
  if (entrypoint) cfg.set("Entrypoint", string_list(*entrypoint));
  if (cmd) cfg.set("Cmd", string_list(*cmd));
  if (healthcheck) cfg.set("Healthcheck", *healthcheck);
  if (!volumes.empty()) cfg.set("Volumes", key_set(volumes));
  if (!working_dir.empty()) cfg.set("WorkingDir", working_dir);
  if (!labels.empty()) {
    doc::Value l = doc::Value::map();
    for (const auto& [k, val] : labels)
      l.set(k, val);
    cfg.set("Labels", std::move(l));
  }
  if (!stop_signal.empty()) cfg.set("StopSignal", stop_signal);
  if (!onbuild.empty()) cfg.set("OnBuild", string_list(onbuild));
  if (!shell.empty()) cfg.set("Shell", string_list(shell));

  doc::Value out = doc::Value::map();
  out.set("created", created);
  out.set("architecture", architecture);
  if (!variant.empty()) out.set("variant", variant);
  out.set("os", os);
  out.set("config", std::move(cfg));
  out.set("rootfs", doc::Value::object({{"type", "layers"}, {"diff_ids", string_list(diff_ids)}}));
  out.set("history", history);
  return doc::to_json(out);
}

std::optional<std::string> ImageConfig::get_env(std::string_view key) const {
  for (auto it = env.rbegin(); it != env.rend(); ++it)
    if (it->size() > key.size() && it->compare(0, key.size(), key) == 0 && (*it)[key.size()] == '=')
      return it->substr(key.size() + 1);
  return std::nullopt;
}

void ImageConfig::set_env(const std::string& key, const std::string& value) {
  for (std::string& e : env)
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=') {
      e = key + "=" + value;
      return;
    }
  env.push_back(key + "=" + value);
}

void ImageConfig::add_history(const std::string& created_by, bool empty_layer,
                              const std::string& created) {
  doc::Value h = doc::Value::map();
  h.set("created", created);
  h.set("created_by", created_by);
  h.set("comment", "gantry.build.v0");
  if (empty_layer) h.set("empty_layer", true);
  history.push_back(std::move(h));
}

}  // namespace gantry::build
