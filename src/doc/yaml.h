// YAML reading and writing for the document model.
//
// The reader uses libyaml's event API and records a SourceSpan on every node
// and key and the ScalarStyle of every scalar. Plain scalars are resolved the
// way kubectl resolves them when it turns YAML into JSON (sigs.k8s.io/yaml):
// null/~/empty, true/false, ints (decimal, 0x, 0o, legacy octal), floats
// (incl. .inf/.nan); quoted and block scalars stay strings. Anchors and
// aliases are expanded (with a limit on the expanded size, so alias bombs
// fail cleanly) and merge keys (`<<`) are applied. Errors carry file:line:col.
//
// The writer is deterministic and writes what `kubectl kustomize` writes:
// 2-space indentation, block style, list items at their parent key's column
// ("key:\n- a"), keys in map order, {} and [] for empty collections, strings
// quoted only where a plain scalar would change meaning or not parse, literal
// blocks (|, |-, |+) for multi-line strings.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "doc/value.h"

namespace gantry::doc {

struct YamlLimits {
  size_t max_input_bytes = 64u << 20;  // 64 MiB per stream
  size_t max_nodes = 10'000'000;       // nodes after alias expansion, whole stream
  size_t max_depth = 512;              // nesting depth
  // A key written twice in one mapping: an error (the default), or the last
  // value wins (as sigs.k8s.io/yaml decodes a kustomization file).
  bool duplicate_keys_last_wins = false;
};

// Parses every document of a stream. Empty documents come back as null values.
// `filename` is used for spans and error messages.
std::vector<Value> parse_yaml_stream(std::string_view text, std::string_view filename,
                                     const YamlLimits& limits = {});

// Parses a stream that must hold at most one document (an empty stream is null).
Value parse_yaml(std::string_view text, std::string_view filename, const YamlLimits& limits = {});

// Reads and parses a file (Error with the path when it cannot be read).
std::vector<Value> read_yaml_file(const std::string& path, const YamlLimits& limits = {});

// Writes one value as a YAML document (no leading "---"), ending in a newline.
std::string to_yaml(const Value& v);

// Writes several documents separated by "---" lines.
std::string to_yaml_stream(const std::vector<Value>& docs);

}  // namespace gantry::doc
