// The instructions that change only the image config.
#include <algorithm>

#include "build/stage_state.h"
#include "core/duration.h"
#include "core/error.h"

namespace gantry::build {
namespace {

std::vector<std::string> shell_or_exec(const StageState& s, const Instruction& ins) {
  if (ins.json) return ins.argv;
  std::vector<std::string> argv =
      s.config.shell.empty() ? std::vector<std::string>{"/bin/sh", "-c"} : s.config.shell;
  argv.push_back(ins.args);
  return argv;
}

int64_t duration_ns(const Instruction& ins, const char* flag, const Location& at) {
  const Flag* f = ins.flag(flag);
  if (!f) return 0;
  try {
    return static_cast<int64_t>(parse_duration(f->value).count()) * 1'000'000;
  } catch (const Error&) {
    throw Error(at, "HEALTHCHECK --" + std::string(flag) + " is not a duration: " + f->value);
  }
}

}  // namespace

bool apply_config_step(BuildRun& run, StageState& s, const Instruction& ins) {
  const std::string& k = ins.keyword;
  Location at = where(run, ins);
  Lookup lookup = stage_lookup(s);
  char esc = run.df.escape;
  ImageConfig& c = s.config;
  if (k == "ENV") {
    std::string shown;
    for (const KeyValue& kv : expand_key_values("ENV", ins.args, lookup, esc, at)) {
      c.set_env(kv.key, kv.value);
      shown += (shown.empty() ? "" : " ") + kv.key + "=" + kv.value;
    }
    c.add_history("ENV " + shown, true, run.created);
  } else if (k == "LABEL") {
    for (const KeyValue& kv : expand_key_values("LABEL", ins.args, lookup, esc, at))
      c.labels[kv.key] = kv.value;
    c.add_history("LABEL " + ins.args, true, run.created);
  } else if (k == "USER") {
    c.user = expand_word(ins.args, lookup, esc, at);
    c.add_history("USER " + c.user, true, run.created);
  } else if (k == "EXPOSE") {
    for (std::string p : expand_words(ins.args, lookup, esc, at)) {
      if (p.find('/') == std::string::npos) p += "/tcp";
      c.exposed_ports.insert(p);
    }
    c.add_history("EXPOSE " + ins.args, true, run.created);
  } else if (k == "VOLUME") {
    std::vector<std::string> v = ins.json ? ins.argv : expand_words(ins.args, lookup, esc, at);
    for (const std::string& p : v)
      c.volumes.insert(p);
    c.add_history("VOLUME " + ins.args, true, run.created);
  } else if (k == "CMD") {
    c.cmd = shell_or_exec(s, ins);
    s.cmd_set_here = true;
    c.add_history("CMD " + ins.args, true, run.created);
  } else if (k == "ENTRYPOINT") {
    c.entrypoint = shell_or_exec(s, ins);
    if (!s.cmd_set_here) c.cmd.reset();  // an inherited CMD no longer applies
    c.add_history("ENTRYPOINT " + ins.args, true, run.created);
  } else if (k == "SHELL") {
    if (!ins.json || ins.argv.empty()) throw Error(at, "SHELL requires the JSON form");
    c.shell = ins.argv;
    c.add_history("SHELL " + ins.args, true, run.created);
  } else if (k == "STOPSIGNAL") {
    c.stop_signal = expand_word(ins.args, lookup, esc, at);
    c.add_history("STOPSIGNAL " + c.stop_signal, true, run.created);
  } else if (k == "MAINTAINER") {
    c.add_history("MAINTAINER " + ins.args, true, run.created);
  } else if (k == "ONBUILD") {
    parse_onbuild_trigger(ins, run.df);  // checked now, run by images built on this one
    c.onbuild.push_back(ins.args);
    c.add_history("ONBUILD " + ins.args, true, run.created);
  } else if (k == "HEALTHCHECK") {
    doc::Value h = doc::Value::map();
    std::string first = ins.args.substr(0, ins.args.find_first_of(" \t"));
    std::transform(first.begin(), first.end(), first.begin(), ::toupper);
    doc::Value test = doc::Value::list();
    if (first == "NONE") {
      test.push_back("NONE");
    } else if (first == "CMD") {
      std::string rest = ins.args.substr(std::min(ins.args.size(), first.size()));
      rest.erase(0, rest.find_first_not_of(" \t"));
      Instruction cmd = parse_dockerfile("CMD " + rest, run.df.file).instructions.at(0);
      if (cmd.json) {
        test.push_back("CMD");
        for (const std::string& a : cmd.argv)
          test.push_back(a);
      } else {
        test.push_back("CMD-SHELL");
        test.push_back(cmd.args);
      }
    } else {
      throw Error(at, "HEALTHCHECK needs CMD or NONE");
    }
    h.set("Test", std::move(test));
    if (int64_t v = duration_ns(ins, "interval", at)) h.set("Interval", v);
    if (int64_t v = duration_ns(ins, "timeout", at)) h.set("Timeout", v);
    if (int64_t v = duration_ns(ins, "start-period", at)) h.set("StartPeriod", v);
    if (int64_t v = duration_ns(ins, "start-interval", at)) h.set("StartInterval", v);
    if (const Flag* r = ins.flag("retries")) {
      try {
        h.set("Retries", static_cast<int64_t>(std::stoll(r->value)));
      } catch (const std::exception&) {
        throw Error(at, "HEALTHCHECK --retries is not a number: " + r->value);
      }
    }
    c.healthcheck = std::move(h);
    c.add_history("HEALTHCHECK " + ins.args, true, run.created);
  } else {
    return false;
  }
  return true;
}

}  // namespace gantry::build
