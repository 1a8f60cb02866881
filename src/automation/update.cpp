#include "automation/update.h"

#include <set>

#include <algorithm>
#include <map>
#include <optional>

#include "core/error.h"
#include "core/file.h"
#include "core/parallel.h"
#include "doc/json.h"
#include "doc/yaml.h"

namespace gantry::automation {

namespace fs = std::filesystem;
using doc::ScalarStyle;
using doc::Type;
using doc::Value;

std::string Change::str() const {
  return file + ":" + std::to_string(line) + ": " + (old_text.empty() ? "(none)" : old_text) +
         " -> " + new_text;
}

size_t UpdatePlan::change_count() const {
  size_t n = 0;
  for (const auto& f : files)
    n += f.changes.size();
  return n;
}

namespace {

// Line starts of a text, for offset -> line lookups.
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {
    starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n') starts_.push_back(i + 1);
  }
  size_t count() const { return starts_.size(); }
  size_t start(size_t line0) const { return starts_[line0]; }
  // End of the line's content (before "\r\n" or "\n").
  size_t content_end(size_t line0) const {
    size_t e = line0 + 1 < starts_.size() ? starts_[line0 + 1] - 1 : text_.size();
    if (e > starts_[line0] && e <= text_.size() && e > 0 && text_[e - 1] == '\r' &&
        line0 + 1 < starts_.size())
      --e;
    return e;
  }
  // End of the line including its line break.
  size_t full_end(size_t line0) const {
    return line0 + 1 < starts_.size() ? starts_[line0 + 1] : text_.size();
  }
  size_t line_of(size_t offset) const {  // 0-based
    auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
    return static_cast<size_t>(it - starts_.begin()) - 1;
  }

 private:
  std::string_view text_;
  std::vector<size_t> starts_;
};

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

struct ScalarRef {
  const Value* value;
};

struct KeyRef {
  const doc::Member* member;
};

// Everything of a parsed file the planner needs, deduplicated by byte offset
// (aliases copy their anchor's span).
struct Index {
  std::map<size_t, const Value*> scalars;        // value scalars by span.begin
  std::vector<std::pair<size_t, size_t>> texts;  // [begin,end) of every scalar and key
  std::vector<const doc::Member*> keys;
  std::vector<const doc::Member*> image_fields;  // members named "image"
};

void index_value(std::string_view text, const Value& v, Index& ix, size_t depth = 0) {
  if (depth > 1000) return;
  if (v.is_map()) {
    for (const auto& m : v.as_map()) {
      if (m.key_span.known()) {
        ix.texts.emplace_back(m.key_span.begin, m.key_span.end);
        ix.keys.push_back(&m);
      }
      if (m.key == "image") ix.image_fields.push_back(&m);
      index_value(text, m.value, ix, depth + 1);
    }
  } else if (v.is_list()) {
    for (const auto& item : v.as_list())
      index_value(text, item, ix, depth + 1);
  } else if (v.span().known()) {
    size_t begin = v.span().begin;
    if (v.style() == ScalarStyle::kLiteral || v.style() == ScalarStyle::kFolded) {
      // The header line (| or > and an optional comment) is not content.
      size_t nl = text.find('\n', begin);
      begin = nl == std::string_view::npos ? v.span().end : std::min(nl + 1, v.span().end);
    }
    ix.texts.emplace_back(begin, v.span().end);
    if (v.span().end > v.span().begin) ix.scalars.emplace(v.span().begin, &v);
  }
}

bool inside_scalar(const Index& ix, size_t pos) {
  for (const auto& [b, e] : ix.texts)
    if (pos >= b && pos < e) return true;
  return false;
}

Type plain_type(std::string_view value, bool& reads_back) {
  reads_back = false;
  if (value.find_first_of(",[]{}\n\r") != std::string_view::npos) return Type::kString;
  try {
    Value v = doc::parse_yaml("k: " + std::string(value), "<value>");
    const Value* k = v.find("k");
    if (!k || !k->is_scalar() || v.size() != 1) return Type::kString;
    if (k->is_string())
      reads_back = k->as_string() == value;
    else
      reads_back = true;
    return k->type();
  } catch (const Error&) {
    return Type::kString;
  }
}

std::string double_quoted(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[(c >> 4) & 0xf];
      out += hex[c & 0xf];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string single_quoted(std::string_view v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string basename_of(const std::string& path) {
  return fs::path(path).filename().string();
}

bool is_kustomization(const std::string& path) {
  std::string b = basename_of(path);
  return b == "kustomization.yaml" || b == "kustomization.yml" || b == "Kustomization";
}

struct Planner {
  std::string_view text;
  const std::string& file;
  const UpdateOptions& opts;
  std::vector<std::string>& notes;
  Lines lines;
  Index ix;
  std::vector<Edit> edits;
  std::vector<Change> changes;

  Location at(size_t line0) const { return Location{file, static_cast<uint32_t>(line0 + 1), 0}; }

  void add(size_t begin, size_t end, std::string repl, Change ch) {
    for (const auto& e : edits) {
      if (e.begin == begin && e.end == end) {
        if (e.text == repl) return;
        throw Error(at(lines.line_of(begin)),
                    "conflicting updates of the same scalar: " + e.text + " and " + repl);
      }
      if (begin < e.end && e.begin < end)
        throw Error(at(lines.line_of(begin)), "overlapping updates");
    }
    if (std::string_view(text).substr(begin, end - begin) == repl) return;  // already so
    edits.push_back(Edit{begin, end, repl});
    changes.push_back(std::move(ch));
  }

  // `string_field`: the field is a string whatever the old value resolved to
  // (image references, kustomize newTag), so a plain value must read back as a string.
  void set_scalar(const Value& v, std::string_view value, bool string_field = false) {
    const auto& s = v.span();
    std::string old(text.substr(s.begin, s.end - s.begin));
    std::string repl;
    if (string_field && v.style() != ScalarStyle::kSingleQuoted &&
        v.style() != ScalarStyle::kDoubleQuoted)
      repl = plain_string_ok(value) ? std::string(value) : double_quoted(value);
    else
      repl = format_scalar(v, value);
    add(s.begin, s.end, repl,
        Change{file, static_cast<uint32_t>(lines.line_of(s.begin) + 1), old, repl});
  }

  // `# NAME` at the end of line `l` (after optional blanks): offset of '#', if any.
  std::optional<size_t> marker_at(size_t l, std::string_view name) const {
    size_t b = lines.start(l), e = lines.content_end(l);
    while (e > b && is_blank(text[e - 1]))
      --e;
    if (e - b < name.size() + 1 || text.substr(e - name.size(), name.size()) != name)
      return std::nullopt;
    size_t p = e - name.size();
    while (p > b && is_blank(text[p - 1]))
      --p;
    if (p == b || text[p - 1] != '#') return std::nullopt;
    size_t hash = p - 1;
    if (hash > b && !is_blank(text[hash - 1])) return std::nullopt;  // not a comment
    if (hash == b) return hash;                                      // comment-only line
    return hash;
  }

  // The scalar a line marker at `hash` (the comment's '#') on line `l` sets:
  // the last value scalar that ends on this line before the comment. nullptr
  // (with a note) for a comment-only line; an Error naming `what` (the marker
  // as written) when the marker is on a mapping, list, block scalar, alias or
  // a key without a value.
  const Value* marker_target(size_t l, size_t hash, const std::string& what) {
    const Value* target = nullptr;
    size_t ls = lines.start(l);
    for (const auto& [begin, v] : ix.scalars) {
      size_t end = v->span().end;
      if (end > ls && end <= hash && (!target || end > target->span().end)) target = v;
    }
    if (target) {
      if (target->style() == ScalarStyle::kLiteral || target->style() == ScalarStyle::kFolded)
        throw Error(at(l), what + " is on a block scalar (| or >); only plain " +
                               "and quoted scalars can be set");
      return target;
    }
    // No scalar: explain what the marker is on.
    const doc::Member* key = nullptr;
    for (const auto* m : ix.keys)
      if (m->key_span.end > ls && m->key_span.end <= hash) key = m;
    if (!key) {
      notes.push_back(at(l).str() + ": " + what + " is on a line without a value");
      return nullptr;
    }
    ScalarStyle ks = key->value.style();
    if (ks == ScalarStyle::kLiteral || ks == ScalarStyle::kFolded)
      throw Error(at(l), what + " is on key '" + key->key +
                             "' whose value is a block scalar (| or >); only plain and " +
                             "quoted scalars can be set");
    if (key->value.is_map() || key->value.is_list())
      throw Error(at(l), what + " is on key '" + key->key + "' whose value is a " +
                             (key->value.is_map() ? "mapping" : "list") +
                             ", not a scalar on that line");
    if (key->value.span().known() && key->value.span().end > key->value.span().begin)
      throw Error(at(l), what + " is on key '" + key->key +
                             "' whose value is an alias; put the marker on the anchor");
    throw Error(at(l), what + " is on key '" + key->key + "' which has no value");
  }

  void do_markers() {
    for (size_t l = 0; l < lines.count(); ++l) {
      for (const auto& [name, value] : opts.markers) {
        auto hash = marker_at(l, name);
        if (!hash || inside_scalar(ix, *hash)) continue;
        if (const Value* target = marker_target(l, *hash, "marker # " + name))
          set_scalar(*target, value);
      }
    }
  }

  // Flux setters: `# {"$imagepolicy": "NS:NAME[:tag|:name|:digest]"}` ending a line.
  void do_setters() {
    static constexpr std::string_view kKey = "\"$imagepolicy\"";
    for (size_t pos = text.find(kKey); pos != std::string_view::npos;
         pos = text.find(kKey, pos + kKey.size())) {
      size_t l = lines.line_of(pos);
      // The comment's '#': the last one before the key that starts a comment.
      std::optional<size_t> hash;
      for (size_t p = pos; p-- > lines.start(l);) {
        if (text[p] != '#') continue;
        if ((p == lines.start(l) || is_blank(text[p - 1])) && !inside_scalar(ix, p)) hash = p;
      }
      if (!hash) continue;  // inside a string, or not a comment
      std::string_view comment = text.substr(*hash + 1, lines.content_end(l) - *hash - 1);
      std::string policy;
      try {
        doc::Value j = doc::parse_json(comment, "marker");
        const doc::Value* v = j.find("$imagepolicy");
        if (!j.is_map() || j.size() != 1 || !v || !v->is_string()) throw Error("not a setter");
        policy = v->as_string();
      } catch (const Error&) {
        notes.push_back(at(l).str() + ": comment mentions $imagepolicy but is not a setter " +
                        "{\"$imagepolicy\": \"NS:NAME\"}; ignored");
        continue;
      }
      std::string what = "setter {\"$imagepolicy\": \"" + policy + "\"}";
      size_t c1 = policy.find(':');
      size_t c2 = c1 == std::string::npos ? c1 : policy.find(':', c1 + 1);
      std::string key = policy.substr(0, c2);
      std::string field = c2 == std::string::npos ? "" : policy.substr(c2 + 1);
      if (c1 == std::string::npos || c1 == 0 || c1 + 1 == key.size())
        throw Error(at(l), what + ": expected NAMESPACE:NAME, NAMESPACE:NAME:tag, " +
                               "NAMESPACE:NAME:name or NAMESPACE:NAME:digest");
      if (!field.empty() && field != "tag" && field != "name" && field != "digest")
        throw Error(at(l), what + ": unknown field '" + field + "' (Flux setters set the " +
                               "whole image, :tag, :name or :digest)");
      auto it = opts.setters.find(key);
      if (it == opts.setters.end()) {
        notes.push_back(at(l).str() + ": no policy " + key + " was given; " + what +
                        " left as it is");
        continue;
      }
      const Value* target = marker_target(l, *hash, what);
      if (!target) continue;
      const PolicyImage& img = it->second;
      if (field == "digest" && img.digest.empty())
        throw Error(at(l), what + ": no digest is known for policy " + key + " (give --setter " +
                               key + "=IMAGE:TAG@sha256:…, or a policy " +
                               "file so gantry asks the registry)");
      set_scalar(*target,
                 field == "tag"      ? img.tag
                 : field == "name"   ? img.image
                 : field == "digest" ? img.digest
                                     : img.str(),
                 true);
    }
  }

  // The last digest asked for image `name`, if any.
  const std::string* digest_for(const std::string& name) const {
    const std::string* d = nullptr;
    for (const auto& [n, digest] : opts.digests)
      if (n == name) d = &digest;
    return d;
  }

  bool tag_asked_for(const std::string& name) const {
    for (const auto& [n, tag] : opts.images)
      if (n == name) return true;
    return false;
  }

  void do_images() {
    for (const auto* m : ix.image_fields) {
      const Value& v = m->value;
      if (!v.is_string() || !v.span().known()) continue;
      const std::string& ref = v.as_string();
      size_t line0 = lines.line_of(v.span().begin);
      size_t at_pos = ref.find('@');
      std::string base = ref.substr(0, at_pos);
      size_t slash = base.rfind('/');
      size_t colon = base.rfind(':');
      std::string name_part = base;
      if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
        name_part = base.substr(0, colon);
      for (const auto& [name, tag] : opts.images) {
        if (name_part != name) continue;
        const std::string* digest = digest_for(name);
        if (at_pos != std::string::npos && !digest) {
          notes.push_back(at(line0).str() + ": image " + ref + " is pinned by digest; not changed");
          continue;
        }
        set_scalar(v, name + ":" + tag + (digest ? "@" + *digest : ""), true);
      }
      for (const auto& [name, digest] : opts.digests)
        if (name_part == name && !tag_asked_for(name)) set_scalar(v, name + "@" + digest, true);
    }
  }

  void do_kustomization(const Value& docv) {
    const Value* images = docv.find("images");
    if (!images || !images->is_list()) return;
    for (const auto& entry : images->as_list()) {
      if (!entry.is_map()) continue;
      std::string ename = entry.get_string("name");
      // The fields to set in this entry, in the order they are inserted.
      std::vector<std::pair<std::string, std::string>> fields;
      for (const auto& [name, tag] : opts.images)
        if (ename == name) fields.emplace_back("newTag", tag);
      for (const auto& [name, digest] : opts.digests)
        if (ename == name) fields.emplace_back("digest", digest);
      std::vector<std::pair<std::string, std::string>> missing;
      for (const auto& [field, value] : fields) {
        if (const Value* nt = entry.find(field)) {
          if (!nt->is_scalar() || !nt->span().known() || nt->span().end <= nt->span().begin)
            throw Error(nt->span().known() ? nt->span().location() : Location{file, 0, 0},
                        field + " of image " + ename + " is not a scalar");
          set_scalar(*nt, value, true);
        } else {
          missing.emplace_back(field, value);
        }
      }
      if (missing.empty()) continue;
      const doc::Member* nm = nullptr;
      for (const auto& m : entry.as_map())
        if (m.key == "name") nm = &m;
      if (!nm || !nm->key_span.known()) continue;
      size_t kl = lines.line_of(nm->key_span.begin);
      bool block = true;
      for (size_t p = lines.start(kl); p < nm->key_span.begin; ++p)
        if (text[p] != ' ' && text[p] != '-') block = false;
      size_t vl = lines.line_of(std::max(nm->value.span().end, nm->key_span.end));
      if (!block || vl != kl) {
        notes.push_back(at(kl).str() + ": image entry " + ename + " is not in block style; " +
                        missing.front().first + " not inserted");
        continue;
      }
      // Right after `name:` (newTag first, as before), except a lone digest
      // goes after an existing one-line newTag.
      size_t il = kl;
      const Value* nt = entry.find("newTag");
      if (missing.front().first == "digest" && nt && nt->is_scalar() && nt->span().known() &&
          nt->style() != ScalarStyle::kLiteral && nt->style() != ScalarStyle::kFolded &&
          lines.line_of(nt->span().begin) == lines.line_of(nt->span().end))
        il = lines.line_of(nt->span().end);
      size_t pos = lines.content_end(il);
      bool crlf = pos < text.size() && text[pos] == '\r';
      std::string indent(nm->key_span.column - 1, ' ');
      std::string inserted, shown;
      for (const auto& [field, value] : missing) {
        std::string line = field + ": " + (plain_string_ok(value) ? value : double_quoted(value));
        inserted += std::string(crlf ? "\r\n" : "\n") + indent + line;
        shown += (shown.empty() ? "" : ", ") + line;
      }
      add(pos, pos, inserted, Change{file, static_cast<uint32_t>(il + 2), "", shown});
    }
  }
};

}  // namespace

bool plain_string_ok(std::string_view value) {
  bool back = false;
  return plain_type(value, back) == Type::kString && back;
}

std::string format_scalar(const Value& old, std::string_view value) {
  switch (old.style()) {
    case ScalarStyle::kSingleQuoted:
      if (value.find_first_of("\n\r") == std::string_view::npos) return single_quoted(value);
      return double_quoted(value);
    case ScalarStyle::kDoubleQuoted:
      return double_quoted(value);
    default: {
      bool back = false;
      Type t = plain_type(value, back);
      if (back && t == old.type()) return std::string(value);
      return double_quoted(value);
    }
  }
}

FileUpdate update_text(std::string_view text, const std::string& filename,
                       const UpdateOptions& opts, std::vector<std::string>& notes) {
  std::vector<Value> docs = doc::parse_yaml_stream(text, filename);
  Planner p{text, filename, opts, notes, Lines(text), {}, {}, {}};
  for (const auto& d : docs)
    index_value(text, d, p.ix);
  if (!opts.markers.empty()) p.do_markers();
  if (!opts.setters.empty()) p.do_setters();
  if (!opts.images.empty() || !opts.digests.empty()) {
    p.do_images();
    if (is_kustomization(filename))
      for (const auto& d : docs)
        if (d.is_map()) p.do_kustomization(d);
  }
  FileUpdate f;
  f.path = filename;
  f.original = std::string(text);
  // Sort edits (and their changes) by position.
  std::vector<size_t> order(p.edits.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return p.edits[a].begin < p.edits[b].begin; });
  size_t last = 0;
  for (size_t i : order) {
    const Edit& e = p.edits[i];
    f.updated.append(text.substr(last, e.begin - last));
    f.updated.append(e.text);
    last = e.end;
    f.edits.push_back(e);
    f.changes.push_back(p.changes[i]);
  }
  f.updated.append(text.substr(last));
  return f;
}

std::vector<fs::path> find_yaml_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw Error(Location{dir.string(), 0, 0}, "not a directory", ExitCode::kNotFound);
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_directory() && it->path().filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    // Symlinks are skipped: an atomic rename would replace the link by a file.
    if (it->is_symlink() || !it->is_regular_file()) continue;
    std::string ext = it->path().extension().string();
    std::string base = it->path().filename().string();
    if (ext == ".yaml" || ext == ".yml" || base == "Kustomization") out.push_back(it->path());
  }
  if (ec) throw Error(Location{dir.string(), 0, 0}, "cannot list: " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

// Whether a file names any marker or image asked for. Files that do not are
// not parsed at all: deployment projects are full of Jinja templates such as
// `replicas: {{ x }}` that are not YAML until rendered, and they must not
// stop an update that does not concern them.
bool mentions_a_target(std::string_view text, const UpdateOptions& opts) {
  for (const auto& [name, value] : opts.markers)
    if (text.find(name) != std::string_view::npos) return true;
  for (const auto& [name, tag] : opts.images)
    if (text.find(name) != std::string_view::npos) return true;
  for (const auto& [name, digest] : opts.digests)
    if (text.find(name) != std::string_view::npos) return true;
  if (!opts.setters.empty() && text.find("$imagepolicy") != std::string_view::npos) return true;
  return false;
}

UpdatePlan plan_update(const fs::path& dir, const UpdateOptions& opts) {
  std::vector<fs::path> paths = find_yaml_files(dir);
  // Files are read and planned on several threads (each file on its own);
  // results, notes and the first error come out in path order.
  struct Slot {
    std::optional<FileUpdate> update;
    std::vector<std::string> notes;
  };
  std::vector<Slot> slots(paths.size());
  parallel_for(paths.size(), kFileJobs, [&](size_t i) {
    std::string text = read_file(paths[i]);
    if (!mentions_a_target(text, opts)) return;
    FileUpdate f = update_text(text, paths[i].string(), opts, slots[i].notes);
    if (f.changed()) slots[i].update = std::move(f);
  });
  UpdatePlan plan;
  for (auto& s : slots) {
    for (auto& n : s.notes)
      plan.notes.push_back(std::move(n));
    if (s.update) plan.files.push_back(std::move(*s.update));
  }
  return plan;
}

void apply_update(const UpdatePlan& plan) {
  std::vector<std::pair<fs::path, std::string_view>> files;
  for (const auto& f : plan.files)
    files.emplace_back(f.path, f.updated);
  write_files_atomic(files);
}

namespace {

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> out;
  size_t b = 0;
  while (b < s.size()) {
    size_t e = s.find('\n', b);
    e = e == std::string_view::npos ? s.size() : e + 1;
    out.push_back(s.substr(b, e - b));
    b = e;
  }
  return out;
}

void emit_line(std::string& out, char sign, std::string_view line) {
  out += sign;
  out.append(line);
  if (line.empty() || line.back() != '\n') out += "\n\\ No newline at end of file\n";
}

struct Block {
  size_t old_first;  // 0-based first old line
  std::vector<std::string_view> old_lines;
  std::vector<std::string> new_lines;
};

}  // namespace

std::string unified_diff(const FileUpdate& f) {
  std::string_view a = f.original;
  Lines la(a);
  std::vector<std::string_view> old_all = split_lines(a);
  // Group edits by the old lines they touch.
  std::vector<Block> blocks;
  size_t i = 0;
  while (i < f.edits.size()) {
    size_t l0 = la.line_of(f.edits[i].begin);
    size_t l1 = la.line_of(std::max(f.edits[i].begin, f.edits[i].end ? f.edits[i].end - 1 : 0));
    size_t j = i + 1;
    while (j < f.edits.size() && la.line_of(f.edits[j].begin) <= l1) {
      l1 = std::max(l1, la.line_of(std::max(f.edits[j].begin, f.edits[j].end - 1)));
      ++j;
    }
    size_t from = la.start(l0), to = la.full_end(l1);
    std::string seg;
    size_t last = from;
    for (size_t k = i; k < j; ++k) {
      seg.append(a.substr(last, f.edits[k].begin - last));
      seg.append(f.edits[k].text);
      last = f.edits[k].end;
    }
    seg.append(a.substr(last, to - last));
    Block b{l0, {}, {}};
    for (size_t l = l0; l <= l1 && l < old_all.size(); ++l)
      b.old_lines.push_back(old_all[l]);
    for (auto sv : split_lines(seg))
      b.new_lines.emplace_back(sv);
    // Trim lines that did not change.
    while (!b.old_lines.empty() && !b.new_lines.empty() &&
           b.old_lines.front() == b.new_lines.front()) {
      b.old_lines.erase(b.old_lines.begin());
      b.new_lines.erase(b.new_lines.begin());
      ++b.old_first;
    }
    while (!b.old_lines.empty() && !b.new_lines.empty() &&
           b.old_lines.back() == b.new_lines.back()) {
      b.old_lines.pop_back();
      b.new_lines.pop_back();
    }
    if (!b.old_lines.empty() || !b.new_lines.empty()) blocks.push_back(std::move(b));
    i = j;
  }
  if (blocks.empty()) return {};
  std::string out = "--- " + f.path + "\n+++ " + f.path + "\n";
  const size_t ctx = 3;
  long delta = 0;  // new line number - old line number before the current block
  size_t bi = 0;
  while (bi < blocks.size()) {
    size_t bj = bi;
    auto block_end = [&](size_t k) { return blocks[k].old_first + blocks[k].old_lines.size(); };
    while (bj + 1 < blocks.size() && blocks[bj + 1].old_first <= block_end(bj) + 2 * ctx)
      ++bj;
    size_t h_first = blocks[bi].old_first >= ctx ? blocks[bi].old_first - ctx : 0;
    size_t h_end = std::min(old_all.size(), block_end(bj) + ctx);
    std::string body;
    size_t old_count = 0, new_count = 0;
    size_t cur = h_first;
    long hunk_delta = delta;
    // Adjacent blocks are shown as one change: all '-' lines, then all '+' lines.
    std::string minus, plus;
    auto flush = [&] {
      body += minus;
      body += plus;
      minus.clear();
      plus.clear();
    };
    for (size_t k = bi; k <= bj; ++k) {
      if (cur < blocks[k].old_first) flush();
      for (; cur < blocks[k].old_first; ++cur, ++old_count, ++new_count)
        emit_line(body, ' ', old_all[cur]);
      for (auto l : blocks[k].old_lines)
        emit_line(minus, '-', l), ++old_count;
      for (const auto& l : blocks[k].new_lines)
        emit_line(plus, '+', l), ++new_count;
      cur += blocks[k].old_lines.size();
      delta += static_cast<long>(blocks[k].new_lines.size()) -
               static_cast<long>(blocks[k].old_lines.size());
    }
    flush();
    for (; cur < h_end; ++cur, ++old_count, ++new_count)
      emit_line(body, ' ', old_all[cur]);
    long old_start = static_cast<long>(h_first) + (old_count ? 1 : 0);
    long new_start = static_cast<long>(h_first) + hunk_delta + (new_count ? 1 : 0);
    out += "@@ -" + std::to_string(old_start) + "," + std::to_string(old_count) + " +" +
           std::to_string(new_start) + "," + std::to_string(new_count) + " @@\n" + body;
    bi = bj + 1;
  }
  return out;
}

std::map<std::string, std::string> message_values(
    const UpdatePlan& plan, const std::function<std::string(const std::string&)>& relative) {
  std::string changes, files, values;
  std::set<std::string> seen;
  size_t count = 0;
  for (const auto& file : plan.files) {
    std::string rel = relative(file.path);
    files += (files.empty() ? "" : " ") + rel;
    for (const auto& ch : file.changes) {
      ++count;
      Change shown = ch;
      shown.file = rel;
      changes += (changes.empty() ? "- " : "\n- ") + shown.str();
      if (seen.insert(ch.new_text).second) values += (values.empty() ? "" : ", ") + ch.new_text;
    }
  }
  return {
      {"changes", changes}, {"files", files}, {"values", values}, {"count", std::to_string(count)}};
}

}  // namespace gantry::automation
