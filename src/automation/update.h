// gantry update: byte-precise rewriting of image tags and marked scalars in YAML manifests.
//
// Every YAML file is parsed with the document model; the edits replace exactly
// the bytes of the targeted scalars (SourceSpan begin..end, quotes included),
// so comments, quoting style, indentation, key order and line endings stay as
// they were. Four kinds of targets:
//  - markers: a scalar whose line ends in the comment `# NAME` gets VALUE;
//  - setters (Flux's image-automation markers): a scalar whose line ends in
//    `# {"$imagepolicy": "NS:NAME"}` gets the image the policy NS:NAME picked
//    (`REPO:TAG`, or `REPO:TAG@DIGEST` when the policy reflects digests); with
//    `NS:NAME:tag` only TAG, with `NS:NAME:name` only REPO, with
//    `NS:NAME:digest` only the digest (`sha256:…`);
//  - images: every `image:` field whose image name (without tag/digest)
//    equals NAME gets its tag (and/or digest) replaced (registry and name kept);
//  - kustomization files: `images:` entries whose `name` equals NAME get
//    `newTag` / `digest` set (lines are inserted when absent).
// Quoting: quoted scalars keep their quote style; a plain scalar stays plain
// unless the new value, written plain, would resolve to a different type than
// the old value (or would not parse back as itself); then it is double-quoted.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "doc/value.h"

namespace gantry::automation {

// The image a tag policy picked: `image` is the repository as the policy
// names it (`ghcr.io/acme/api`), `tag` the winning tag, `digest` the digest of
// its manifest (`sha256:…`) when known. `pin` is Flux's digest reflection:
// whole-image setters then write `REPO:TAG@DIGEST`.
struct PolicyImage {
  std::string image;
  std::string tag;
  std::string digest = {};
  bool pin = false;
  std::string str() const {
    return image + ":" + tag + (pin && !digest.empty() ? "@" + digest : "");
  }
};

struct UpdateOptions {
  std::vector<std::pair<std::string, std::string>> markers;  // NAME, VALUE
  std::vector<std::pair<std::string, std::string>> images;   // image NAME, TAG
  // image NAME, DIGEST (`sha256:...`): `image:` fields become NAME[:TAG]@DIGEST
  // (TAG when `images` names one too), kustomization entries get `digest:`.
  std::vector<std::pair<std::string, std::string>> digests;
  std::map<std::string, PolicyImage> setters;  // "NS:NAME" -> what the policy picked
};

// One edit as reported to the user: file:line: old -> new.
struct Change {
  std::string file;
  uint32_t line = 0;
  std::string old_text;  // the scalar's bytes as written ("" for an inserted line)
  std::string new_text;  // the bytes written instead
  std::string str() const;
};

// One byte-range replacement in the original text.
struct Edit {
  size_t begin = 0;
  size_t end = 0;
  std::string text;
};

struct FileUpdate {
  std::string path;  // as given (also used in messages)
  std::string original;
  std::string updated;
  std::vector<Edit> edits;  // sorted, non-overlapping
  std::vector<Change> changes;
  bool changed() const { return !edits.empty(); }
};

struct UpdatePlan {
  std::vector<FileUpdate> files;   // only the files that change
  std::vector<std::string> notes;  // things skipped on purpose (digest-pinned images ...)
  size_t change_count() const;
};

// Plans the edits of one file's text. Throws Error (file:line) for text that
// is not YAML and for a marker that is not on a scalar.
FileUpdate update_text(std::string_view text, const std::string& filename,
                       const UpdateOptions& opts, std::vector<std::string>& notes);

// Every *.yaml / *.yml file below `dir` (recursively, skipping .git), sorted.
std::vector<std::filesystem::path> find_yaml_files(const std::filesystem::path& dir);

// Reads and plans every file first; throws before anything is written.
UpdatePlan plan_update(const std::filesystem::path& dir, const UpdateOptions& opts);

// Writes every changed file with write_files_atomic (temporary files, one
// sync, renames).
void apply_update(const UpdatePlan& plan);

// A unified diff (3 lines of context) of one planned file.
std::string unified_diff(const FileUpdate& f);

// The commit message used when none is given.
inline constexpr const char* kDefaultUpdateMessage = "gantry: update image tags\n\n{changes}\n";

// The values of a commit message template's placeholders for `plan`:
// {changes} ("- file:line: old -> new" lines), {files} (space-separated),
// {values} (the distinct new values) and {count} (edits). `relative` turns a
// planned file's path into the one shown (relative to the repository).
std::map<std::string, std::string> message_values(
    const UpdatePlan& plan, const std::function<std::string(const std::string&)>& relative);

// How `value` is written in place of a scalar `old` (see the quoting rule above).
std::string format_scalar(const doc::Value& old, std::string_view value);

// True if `value` written as a plain scalar in block context reads back as the
// string `value`.
bool plain_string_ok(std::string_view value);

}  // namespace gantry::automation
