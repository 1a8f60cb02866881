// Field sets as server-side apply records them in metadata.managedFields
// (fieldsV1): "f:<field>" for map fields, "k:{...}" for items of lists keyed
// by merge keys, "v:<json>" for items of set lists, "." for a node that is
// itself a member when it also has children. Plus the list typing the
// sandbox knows (Kubernetes merge keys of built-in kinds, x-kubernetes-list-*
// of CRD schemas) and the apply merge built on it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "doc/value.h"
#include "sandbox/resources.h"

namespace gantry::sandbox {

struct ListType {
  enum Kind { kAtomic, kSet, kMap } kind = kAtomic;
  std::vector<std::string> keys;  // kMap: the key fields
};

// How the list at `field_path` (field names from the object root, list
// indices left out) merges for resource type `t`.
ListType list_type(const std::vector<std::string>& field_path, const ResourceType& t);

// "k:{...}" / "v:..." path element of a list item.
std::string item_element(const doc::Value& item, const ListType& lt);

struct FieldSet {
  bool member = false;  // this path itself is in the set
  std::map<std::string, FieldSet> children;

  bool empty() const { return !member && children.empty(); }
  // fieldsV1 JSON object form.
  doc::Value to_value() const;
  static FieldSet from_value(const doc::Value& v);
  // Every member path (as element lists).
  void members(std::vector<std::vector<std::string>>& out, std::vector<std::string>& prefix) const;
  std::vector<std::vector<std::string>> members() const;
  bool contains(const std::vector<std::string>& path) const;
  void insert(const std::vector<std::string>& path);
  void remove(const std::vector<std::string>& path);  // drops the member, prunes empty nodes
  void merge(const FieldSet& other);
};

// ".spec.template.spec.containers[name=\"x\"].image", as the apiserver prints paths.
std::string path_string(const std::vector<std::string>& path);

// The set an applied configuration owns: leaves, items of keyed/set lists
// (with "."), no "." on maps.
FieldSet apply_set(const doc::Value& obj, const ResourceType& t);

// The fields that differ between `before` and `after` (created or changed
// leaves, and "." of maps and items that did not exist before), as the set
// an Update operation takes ownership of.
FieldSet changed_set(const doc::Value* before, const doc::Value& after, const ResourceType& t);

// Removes fields no apply or update may own: apiVersion, kind, metadata.name,
// .namespace, .uid, .resourceVersion, .generation, .creationTimestamp,
// .managedFields, .deletionTimestamp, .selfLink, and status when `status` is
// false (or everything but status when `only_status`).
void strip_ignored(FieldSet& s, bool keep_status, bool only_status);

// The value at a field-set path, or nullptr.
const doc::Value* resolve(const doc::Value& root, const std::vector<std::string>& path,
                          const ResourceType& t);
// Removes the value at a path (field, keyed item or set value). False when absent.
bool remove_path(doc::Value& root, const std::vector<std::string>& path, const ResourceType& t);

// Server-side apply's merge of `applied` into `live`: maps merge recursively,
// keyed lists merge item by item, set lists take the union, anything else is
// replaced.
void apply_merge(doc::Value& live, const doc::Value& applied, const ResourceType& t);

}  // namespace gantry::sandbox
