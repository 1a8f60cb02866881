#include "sandbox/patch.h"

#include <string>
#include <vector>

#include "sandbox/fieldset.h"

namespace gantry::sandbox {

void json_merge_patch(doc::Value& target, const doc::Value& patch) {
  if (!patch.is_map()) {
    target = patch;
    return;
  }
  if (!target.is_map()) target = doc::Value::map();
  for (const auto& m : patch.as_map()) {
    if (m.value.is_null()) {
      target.erase(m.key);
    } else {
      doc::Value* existing = target.find(m.key);
      if (existing) {
        json_merge_patch(*existing, m.value);
      } else {
        doc::Value v;
        json_merge_patch(v, m.value);
        target.set(m.key, std::move(v));
      }
    }
  }
}

namespace {

std::vector<std::string> split_pointer(const std::string& ptr) {
  std::vector<std::string> out;
  if (ptr.empty()) return out;
  if (ptr[0] != '/') throw Error("invalid JSON pointer \"" + ptr + "\"");
  size_t i = 1;
  while (true) {
    size_t j = ptr.find('/', i);
    std::string tok = ptr.substr(i, j == std::string::npos ? std::string::npos : j - i);
    std::string dec;
    for (size_t k = 0; k < tok.size(); ++k) {
      if (tok[k] == '~' && k + 1 < tok.size() && (tok[k + 1] == '0' || tok[k + 1] == '1')) {
        dec += tok[k + 1] == '0' ? '~' : '/';
        ++k;
      } else {
        dec += tok[k];
      }
    }
    out.push_back(dec);
    if (j == std::string::npos) break;
    i = j + 1;
  }
  return out;
}

size_t parse_index(const std::string& tok, size_t size, bool allow_end) {
  if (tok == "-" && allow_end) return size;
  if (tok.empty() || tok.find_first_not_of("0123456789") != std::string::npos)
    throw Error("invalid array index \"" + tok + "\"");
  size_t i = std::stoul(tok);
  if (i > size || (!allow_end && i == size)) throw Error("array index " + tok + " out of bounds");
  return i;
}

doc::Value* parent_of(doc::Value& root, const std::vector<std::string>& toks,
                      const std::string& ptr) {
  doc::Value* cur = &root;
  for (size_t i = 0; i + 1 < toks.size(); ++i) {
    if (cur->is_map()) {
      cur = cur->find(toks[i]);
    } else if (cur->is_list()) {
      cur = &cur->as_list()[parse_index(toks[i], cur->size(), false)];
    } else {
      cur = nullptr;
    }
    if (!cur) throw Error("missing value at path \"" + ptr + "\"");
  }
  return cur;
}

doc::Value get_at(doc::Value& root, const std::string& ptr) {
  auto toks = split_pointer(ptr);
  if (toks.empty()) return root;
  doc::Value* p = parent_of(root, toks, ptr);
  if (p->is_map()) {
    const doc::Value* v = p->find(toks.back());
    if (!v) throw Error("missing value at path \"" + ptr + "\"");
    return *v;
  }
  if (p->is_list()) return p->as_list()[parse_index(toks.back(), p->size(), false)];
  throw Error("missing value at path \"" + ptr + "\"");
}

void remove_at(doc::Value& root, const std::string& ptr) {
  auto toks = split_pointer(ptr);
  if (toks.empty()) throw Error("cannot remove the whole document");
  doc::Value* p = parent_of(root, toks, ptr);
  if (p->is_map()) {
    if (!p->erase(toks.back()))
      throw Error("Unable to remove nonexistent key: " + toks.back() + ": missing value");
  } else if (p->is_list()) {
    auto& l = p->as_list();
    l.erase(l.begin() + static_cast<long>(parse_index(toks.back(), l.size(), false)));
  } else {
    throw Error("missing value at path \"" + ptr + "\"");
  }
}

void add_at(doc::Value& root, const std::string& ptr, doc::Value v, bool replace) {
  auto toks = split_pointer(ptr);
  if (toks.empty()) {
    root = std::move(v);
    return;
  }
  doc::Value* p = parent_of(root, toks, ptr);
  if (p->is_map()) {
    if (replace && !p->find(toks.back()))
      throw Error("replace operation does not apply: doc is missing key: " + ptr +
                  ": missing value");
    p->set(toks.back(), std::move(v));
  } else if (p->is_list()) {
    auto& l = p->as_list();
    size_t i = parse_index(toks.back(), l.size(), !replace);
    if (replace) {
      l[i] = std::move(v);
    } else {
      l.insert(l.begin() + static_cast<long>(i), std::move(v));
    }
  } else {
    throw Error("missing value at path \"" + ptr + "\"");
  }
}

}  // namespace

void json_patch(doc::Value& target, const doc::Value& ops) {
  if (!ops.is_list()) throw Error("a JSON patch must be a list of operations");
  for (const auto& op : ops.as_list()) {
    if (!op.is_map()) throw Error("a JSON patch operation must be an object");
    std::string kind = op.get_string("op");
    std::string path = op.get_string("path");
    const doc::Value* value = op.find("value");
    if (kind == "add" || kind == "replace") {
      if (!value) throw Error("missing value for " + kind + " at \"" + path + "\"");
      add_at(target, path, *value, kind == "replace");
    } else if (kind == "remove") {
      remove_at(target, path);
    } else if (kind == "move" || kind == "copy") {
      std::string from = op.get_string("from");
      doc::Value v = get_at(target, from);
      if (kind == "move") remove_at(target, from);
      add_at(target, path, std::move(v), false);
    } else if (kind == "test") {
      if (!value) throw Error("missing value for test at \"" + path + "\"");
      if (!get_at(target, path).equals(*value))
        throw Error("testing value " + path + " failed: test failed");
    } else {
      throw Error("Unexpected kind: " + kind);
    }
  }
}

namespace {

doc::Value strip_directives(const doc::Value& v) {
  if (v.is_map()) {
    doc::Value out = doc::Value::map();
    for (const auto& m : v.as_map())
      if (m.key.empty() || m.key[0] != '$') out.set(m.key, strip_directives(m.value));
    return out;
  }
  if (v.is_list()) {
    doc::Value out = doc::Value::list();
    for (const auto& i : v.as_list())
      out.push_back(strip_directives(i));
    return out;
  }
  return v;
}

struct Smp {
  const ResourceType& t;
  std::vector<std::string> names;

  void merge_map(doc::Value& target, const doc::Value& patch) {
    if (patch.get_string("$patch") == "replace") {
      target = strip_directives(patch);
      return;
    }
    if (!target.is_map()) target = doc::Value::map();
    if (const doc::Value* retain = patch.find("$retainKeys"); retain && retain->is_list()) {
      std::vector<std::string> keep;
      for (const auto& k : retain->as_list())
        if (k.is_string()) keep.push_back(k.as_string());
      auto& m = target.as_map();
      for (auto it = m.begin(); it != m.end();) {
        bool kept = false;
        for (const auto& k : keep)
          kept = kept || k == it->key;
        it = kept ? std::next(it) : m.erase(it);
      }
    }
    for (const auto& m : patch.as_map()) {
      static const std::string del_prefix = "$deleteFromPrimitiveList/";
      if (m.key.rfind(del_prefix, 0) == 0) {
        doc::Value* list = target.find(m.key.substr(del_prefix.size()));
        if (list && list->is_list() && m.value.is_list()) {
          auto& items = list->as_list();
          for (const auto& d : m.value.as_list())
            for (auto it = items.begin(); it != items.end();)
              it = it->equals(d) ? items.erase(it) : std::next(it);
        }
        continue;
      }
      if (!m.key.empty() && m.key[0] == '$') continue;
      if (m.value.is_null()) {
        target.erase(m.key);
        continue;
      }
      names.push_back(m.key);
      doc::Value* existing = target.find(m.key);
      if (m.value.is_map()) {
        if (m.value.get_string("$patch") == "delete") {
          target.erase(m.key);
        } else if (existing && existing->is_map()) {
          merge_map(*existing, m.value);
        } else {
          doc::Value v = doc::Value::map();
          merge_map(v, m.value);
          target.set(m.key, std::move(v));
        }
      } else if (m.value.is_list()) {
        doc::Value v = existing && existing->is_list() ? *existing : doc::Value::list();
        merge_list(v, m.value);
        target.set(m.key, std::move(v));
      } else {
        target.set(m.key, m.value);
      }
      names.pop_back();
    }
  }

  void merge_list(doc::Value& target, const doc::Value& patch) {
    ListType lt = list_type(names, t);
    for (const auto& item : patch.as_list())
      if (item.is_map() && item.get_string("$patch") == "replace") {
        doc::Value out = doc::Value::list();
        for (const auto& i : patch.as_list())
          if (!(i.is_map() && i.contains("$patch"))) out.push_back(strip_directives(i));
        target = std::move(out);
        return;
      }
    if (lt.kind == ListType::kAtomic) {
      target = strip_directives(patch);
      return;
    }
    auto& items = target.as_list();
    for (const auto& item : patch.as_list()) {
      if (lt.kind == ListType::kSet) {
        bool present = false;
        for (const auto& i : items)
          present = present || i.equals(item);
        if (!present) items.push_back(item);
        continue;
      }
      if (!item.is_map()) continue;
      // Strategic merge patch matches on the first merge key only.
      const std::string& key = lt.keys.front();
      const doc::Value* kv = item.find(key);
      doc::Value* match = nullptr;
      size_t match_at = 0;
      for (size_t i = 0; kv && i < items.size(); ++i) {
        const doc::Value* ikv = items[i].find(key);
        if (ikv && ikv->equals(*kv)) {
          match = &items[i];
          match_at = i;
          break;
        }
      }
      if (item.get_string("$patch") == "delete") {
        if (match) items.erase(items.begin() + static_cast<long>(match_at));
        continue;
      }
      if (match) {
        merge_map(*match, item);
      } else {
        doc::Value v = doc::Value::map();
        merge_map(v, item);
        items.push_back(std::move(v));
      }
    }
  }
};

}  // namespace

void strategic_merge_patch(doc::Value& target, const doc::Value& patch, const ResourceType& t) {
  if (!patch.is_map()) throw Error("a strategic merge patch must be a JSON object");
  Smp s{t, {}};
  s.merge_map(target, patch);
}

}  // namespace gantry::sandbox
