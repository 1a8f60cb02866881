#include "gitops/history.h"

namespace gantry::gitops {

using doc::Value;

Trigger trigger_of(const TriggerInput& in) {
  if (!in.requested_at.empty() && in.requested_at != in.handled_request) {
    bool hook = in.requested_by.rfind("webhook", 0) == 0;
    return {hook ? "webhook" : "request", in.requested_by};
  }
  if (!in.deployed_before) return {"created", ""};
  if (in.generation_changed) return {"spec", ""};
  if (in.commit_changed) return {"git", ""};
  if (in.last_failed) return {"retry", ""};
  return {"resync", ""};
}

std::string requested_by(const std::string& annotation, const std::string& requested_at) {
  if (requested_at.empty() || annotation.size() <= requested_at.size() + 1 ||
      annotation.compare(0, requested_at.size(), requested_at) != 0 ||
      annotation[requested_at.size()] != ' ')
    return {};
  return annotation.substr(requested_at.size() + 1, 256);
}

Value history_entry(const DeployRecord& r) {
  Value hooks = Value::list();
  for (const auto& h : r.hooks)
    hooks.push_back(Value::object({{"object", h.object},
                                   {"item", h.item},
                                   {"phase", h.phase},
                                   {"weight", h.weight},
                                   {"result", h.result},
                                   {"message", h.message.substr(0, 512)},
                                   {"durationMs", static_cast<int64_t>(h.duration.count())}}));
  Value trigger = Value::object({{"reason", r.trigger.reason}});
  if (!r.trigger.by.empty()) trigger.set("by", r.trigger.by);
  return Value::object({{"revision", r.revision},
                        {"startedAt", r.started},
                        {"finishedAt", r.finished},
                        {"applied", r.applied},
                        {"unchanged", r.unchanged},
                        {"pruned", r.pruned},
                        {"failed", r.failed},
                        {"result", r.result},
                        {"message", r.message.substr(0, 512)},
                        {"trigger", trigger},
                        {"attempts", 1},
                        {"hooks", hooks}});
}

Value add_to_history(const Value& history, Value entry) {
  Value out = Value::list();
  size_t skip = 0;
  if (history.is_list() && !history.as_list().empty()) {
    const Value& newest = history.as_list().front();
    const Value* reason = entry.find_path({"trigger", "reason"});
    bool retry = reason && reason->is_string() && reason->as_string() == "retry";
    if (retry && entry.get_string("result") == "failed" &&
        newest.get_string("result") == "failed" &&
        newest.get_string("revision") == entry.get_string("revision")) {
      const Value* n = newest.find("attempts");
      entry.set("attempts", (n && n->is_int() ? n->as_int() : 1) + 1);
      entry.set("startedAt", newest.get_string("startedAt"));
      if (const Value* t = newest.find("trigger")) entry.set("trigger", *t);
      skip = 1;
    }
  }
  out.push_back(std::move(entry));
  if (history.is_list())
    for (size_t i = skip; i < history.as_list().size() && out.as_list().size() < kHistoryLength;
         ++i)
      if (history.as_list()[i].is_map()) out.push_back(history.as_list()[i]);
  return out;
}

Value history_of(const Value* status) {
  Value out = Value::list();
  const Value* h = status && status->is_map() ? status->find("history") : nullptr;
  if (!h || !h->is_list()) return out;
  for (const auto& e : h->as_list())
    if (e.is_map() && out.as_list().size() < kHistoryLength) out.push_back(e);
  return out;
}

}  // namespace gantry::gitops
