#include "sandbox/selector.h"

#include <cctype>

#include "core/error.h"

namespace gantry::sandbox {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Splits on commas that are not inside parentheses.
std::vector<std::string> split_top(const std::string& s) {
  std::vector<std::string> out;
  int depth = 0;
  std::string cur;
  for (char c : s) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

bool valid_label_key(const std::string& k) {
  if (k.empty() || k.size() > 317) return false;
  for (char c : k)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
          c == '/'))
      return false;
  return true;
}

bool valid_label_value(const std::string& v) {
  if (v.size() > 63) return false;
  for (char c : v)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

// Finds the set-based operator " in " / " notin " after the key.
// "key!=value", "key==value" or "key=value" (in that order of precedence).
bool parse_equality(const std::string& part, Requirement& r) {
  if (size_t p = part.find("!="); p != std::string::npos) {
    r.op = Requirement::kNotEquals;
    r.key = trim(part.substr(0, p));
    r.values.push_back(trim(part.substr(p + 2)));
  } else if (size_t q = part.find("=="); q != std::string::npos) {
    r.key = trim(part.substr(0, q));
    r.values.push_back(trim(part.substr(q + 2)));
  } else if (size_t e = part.find('='); e != std::string::npos) {
    r.key = trim(part.substr(0, e));
    r.values.push_back(trim(part.substr(e + 1)));
  } else {
    return false;
  }
  return true;
}

bool parse_set_req(const std::string& part, Requirement& r) {
  for (const auto& [word, op] :
       {std::pair<std::string, Requirement::Op>{" notin ", Requirement::kNotIn},
        {" in ", Requirement::kIn}}) {
    size_t pos = part.find(word);
    if (pos == std::string::npos) continue;
    r.key = trim(part.substr(0, pos));
    r.op = op;
    std::string rest = trim(part.substr(pos + word.size()));
    if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')')
      throw Error("unable to parse requirement: found '" + rest + "', expected: '('");
    std::string inner = rest.substr(1, rest.size() - 2);
    size_t i = 0;
    while (i <= inner.size()) {
      size_t j = inner.find(',', i);
      std::string v = trim(inner.substr(i, j == std::string::npos ? std::string::npos : j - i));
      if (!valid_label_value(v)) throw Error("invalid label value: \"" + v + "\"");
      r.values.push_back(v);
      if (j == std::string::npos) break;
      i = j + 1;
    }
    return true;
  }
  return false;
}

bool eval(const Requirement& r, bool present, const std::string& value) {
  switch (r.op) {
    case Requirement::kEquals:
      return present && value == r.values[0];
    case Requirement::kNotEquals:
      return !present || value != r.values[0];
    case Requirement::kIn:
      if (!present) return false;
      for (const auto& v : r.values)
        if (v == value) return true;
      return false;
    case Requirement::kNotIn:
      if (!present) return true;
      for (const auto& v : r.values)
        if (v == value) return false;
      return true;
    case Requirement::kExists:
      return present;
    case Requirement::kNotExists:
      return !present;
    case Requirement::kGt:
    case Requirement::kLt: {
      if (!present) return false;
      try {
        long long a = std::stoll(value), b = std::stoll(r.values[0]);
        return r.op == Requirement::kGt ? a > b : a < b;
      } catch (const std::exception&) {
        return false;
      }
    }
  }
  return false;
}

}  // namespace

LabelSelector LabelSelector::parse(const std::string& text) {
  LabelSelector sel;
  if (trim(text).empty()) return sel;
  for (const std::string& raw : split_top(text)) {
    std::string part = trim(raw);
    if (part.empty()) throw Error("found '', expected: identifier");
    Requirement r;
    if (parse_set_req(part, r)) {
    } else if (part[0] == '!') {
      r.op = Requirement::kNotExists;
      r.key = trim(part.substr(1));
    } else if (parse_equality(part, r)) {
    } else if (size_t g = part.find('>'); g != std::string::npos) {
      r.op = Requirement::kGt;
      r.key = trim(part.substr(0, g));
      r.values.push_back(trim(part.substr(g + 1)));
    } else if (size_t l = part.find('<'); l != std::string::npos) {
      r.op = Requirement::kLt;
      r.key = trim(part.substr(0, l));
      r.values.push_back(trim(part.substr(l + 1)));
    } else {
      r.op = Requirement::kExists;
      r.key = part;
    }
    if (!valid_label_key(r.key)) throw Error("invalid label key \"" + r.key + "\"");
    for (const auto& v : r.values)
      if (!valid_label_value(v)) throw Error("invalid label value: \"" + v + "\"");
    sel.reqs_.push_back(std::move(r));
  }
  return sel;
}

LabelSelector LabelSelector::from_object(const doc::Value& s) {
  LabelSelector sel;
  if (!s.is_map()) return sel;
  if (const doc::Value* ml = s.find("matchLabels"); ml && ml->is_map())
    for (const auto& m : ml->as_map())
      sel.reqs_.push_back(
          {Requirement::kEquals, m.key, {m.value.is_string() ? m.value.as_string() : ""}});
  if (const doc::Value* me = s.find("matchExpressions"); me && me->is_list()) {
    for (const auto& e : me->as_list()) {
      Requirement r;
      r.key = e.get_string("key");
      std::string op = e.get_string("operator");
      r.op = op == "In"             ? Requirement::kIn
             : op == "NotIn"        ? Requirement::kNotIn
             : op == "DoesNotExist" ? Requirement::kNotExists
                                    : Requirement::kExists;
      if (const doc::Value* vs = e.find("values"); vs && vs->is_list())
        for (const auto& v : vs->as_list())
          if (v.is_string()) r.values.push_back(v.as_string());
      sel.reqs_.push_back(std::move(r));
    }
  }
  return sel;
}

bool LabelSelector::matches(const doc::Value* labels) const {
  for (const auto& r : reqs_) {
    const doc::Value* v = labels && labels->is_map() ? labels->find(r.key) : nullptr;
    std::string s = v && v->is_string() ? v->as_string() : "";
    if (!eval(r, v != nullptr, s)) return false;
  }
  return true;
}

FieldSelector FieldSelector::parse(const std::string& text) {
  FieldSelector sel;
  if (trim(text).empty()) return sel;
  for (const std::string& raw : split_top(text)) {
    std::string part = trim(raw);
    Requirement r;
    if (!parse_equality(part, r) || r.key.empty())
      throw Error("invalid selector: '" + text + "'; can't understand '" + part + "'");
    sel.reqs_.push_back(std::move(r));
  }
  return sel;
}

std::string field_value(const doc::Value& obj, const std::string& dotted) {
  const doc::Value* cur = &obj;
  size_t i = 0;
  while (cur && i <= dotted.size()) {
    size_t j = dotted.find('.', i);
    std::string part = dotted.substr(i, j == std::string::npos ? std::string::npos : j - i);
    cur = cur->is_map() ? cur->find(part) : nullptr;
    if (j == std::string::npos) break;
    i = j + 1;
  }
  if (!cur || cur->is_null()) return "";
  if (cur->is_string()) return cur->as_string();
  if (cur->is_bool()) return cur->as_bool() ? "true" : "false";
  if (cur->is_int()) return std::to_string(cur->as_int());
  return "";
}

bool FieldSelector::matches(const doc::Value& obj) const {
  for (const auto& r : reqs_)
    if (!eval(r, true, field_value(obj, r.key))) return false;
  return true;
}

std::string FieldSelector::pinned(const std::string& field) const {
  for (const auto& r : reqs_)
    if (r.op == Requirement::kEquals && r.key == field) return r.values[0];
  return "";
}

}  // namespace gantry::sandbox
