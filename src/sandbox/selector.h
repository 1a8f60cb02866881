// Label and field selectors as the Kubernetes API parses them.
#pragma once

#include <string>
#include <vector>

#include "doc/value.h"

namespace gantry::sandbox {

struct Requirement {
  enum Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kNotExists, kGt, kLt } op = kEquals;
  std::string key;
  std::vector<std::string> values;
};

class LabelSelector {
 public:
  // Parses "app=web,tier!=db,env in (a,b),!legacy". Throws Error on bad syntax.
  static LabelSelector parse(const std::string& text);
  // From a metav1.LabelSelector object (matchLabels / matchExpressions).
  static LabelSelector from_object(const doc::Value& sel);
  bool matches(const doc::Value* labels) const;  // labels map or null
  bool empty() const { return reqs_.empty(); }
  const std::vector<Requirement>& requirements() const { return reqs_; }

 private:
  std::vector<Requirement> reqs_;
};

class FieldSelector {
 public:
  // Parses "metadata.name=x,status.phase!=Running". Throws Error on bad syntax.
  static FieldSelector parse(const std::string& text);
  bool matches(const doc::Value& obj) const;
  bool empty() const { return reqs_.empty(); }
  // The value a "metadata.name=" / "==" requirement pins, or "".
  std::string pinned(const std::string& field) const;
  const std::vector<Requirement>& requirements() const { return reqs_; }

 private:
  std::vector<Requirement> reqs_;
};

// The field a field selector reads ("metadata.name"), "" when missing. Values
// that are not strings are written as JSON scalars.
std::string field_value(const doc::Value& obj, const std::string& dotted);

}  // namespace gantry::sandbox
