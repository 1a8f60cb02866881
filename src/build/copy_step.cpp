// COPY, ADD and WORKDIR: layers made by placing files, not by running
// anything. The layer is written from an upper directory that holds exactly
// the new files and, as overlayfs would copy them up, the existing parent
// directories they were placed in.
#include <archive.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "build/container.h"
#include "build/overlay_form.h"
#include "build/stage_state.h"
#include "build/unpack.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/file.h"
#include "http/client.h"

namespace gantry::build {
namespace fs = std::filesystem;
namespace {

struct Owner {
  bool set = false;
  uint32_t uid = 0, gid = 0;
};

struct Placement {
  const fs::path& upper;
  const LayeredView* below;  // nullptr for --link: placed as on an empty filesystem
  Owner owner;
  int chmod = -1;
  bool keep_owner = false;  // the source's owner instead of `owner`
  // Sources are immutable snapshot files on the cache's file system: a file
  // whose owner and mode stay as they are is hard-linked, not copied.
  bool link_sources = false;
};

std::string join_image(const std::string& dir, const std::string& name) {
  if (name.empty()) return dir;
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// Creates the directories of image path `dir` in the upper directory:
// those that exist below are copied up with their mode, owner and times,
// new ones are 0755 root (the last one owned by `owner` when given).
fs::path ensure_dir(const Placement& p, const std::string& dir, bool own_new) {
  fs::path host = p.upper;
  std::string image = "/";
  std::vector<std::string> parts = path_components(dir);
  for (size_t i = 0; i < parts.size(); ++i) {
    host /= parts[i];
    image = join_image(image, parts[i]);
    struct stat st {};
    if (::lstat(host.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) continue;
      fs::remove(host);  // a file placed earlier in this step is replaced
    }
    std::optional<LayeredView::Entry> below;
    if (p.below) below = p.below->lookup(image, false);
    if (::mkdir(host.c_str(), 0755) != 0)
      throw Error("cannot create " + image + ": " + std::strerror(errno), ExitCode::kExternal);
    if (below && S_ISDIR(below->st.st_mode) && !below->host.empty()) {
      ::chmod(host.c_str(), below->st.st_mode & 07777);
      if (::lchown(host.c_str(), below->st.st_uid, below->st.st_gid) != 0) {
      }
      struct timespec t[2] = {below->st.st_atim, below->st.st_mtim};
      ::utimensat(AT_FDCWD, host.c_str(), t, AT_SYMLINK_NOFOLLOW);
    } else if (own_new && i + 1 == parts.size() && p.owner.set) {
      if (::lchown(host.c_str(), p.owner.uid, p.owner.gid) != 0) {
      }
    }
  }
  return host;
}

void apply_attrs(const Placement& p, const fs::path& host, const struct stat& src) {
  bool link = S_ISLNK(src.st_mode);
  uint32_t uid = p.owner.set ? p.owner.uid : 0, gid = p.owner.set ? p.owner.gid : 0;
  if (p.keep_owner) {
    uid = src.st_uid;
    gid = src.st_gid;
  }
  if (::lchown(host.c_str(), uid, gid) != 0)
    throw Error("cannot set the owner of " + host.string() + ": " + std::strerror(errno),
                ExitCode::kExternal);
  if (!link)
    ::chmod(host.c_str(), p.chmod >= 0 ? static_cast<mode_t>(p.chmod) : src.st_mode & 07777);
  struct timespec t[2] = {src.st_mtim, src.st_mtim};
  ::utimensat(AT_FDCWD, host.c_str(), t, AT_SYMLINK_NOFOLLOW);
}

void copy_content(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::remove(to, ec);
  if (!fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec))
    throw Error("cannot copy " + from.string() + ": " + ec.message(), ExitCode::kExternal);
}

// Places one entry (file, directory or link) at image path `dest`.
void place(const Placement& p, const fs::path& from, const struct stat& st,
           const std::string& dest) {
  std::string parent = dest.substr(0, dest.rfind('/'));
  fs::path dir = ensure_dir(p, parent.empty() ? "/" : parent, false);
  fs::path host = dir / dest.substr(dest.rfind('/') + 1);
  std::error_code ec;
  if (S_ISDIR(st.st_mode)) {
    struct stat cur {};
    if (::lstat(host.c_str(), &cur) != 0 || !S_ISDIR(cur.st_mode)) {
      fs::remove_all(host, ec);
      fs::create_directory(host);
    }
  } else if (S_ISLNK(st.st_mode)) {
    fs::remove_all(host, ec);
    fs::create_symlink(fs::read_symlink(from), host);
  } else if (S_ISREG(st.st_mode)) {
    fs::remove_all(host, ec);
    uint32_t uid = p.keep_owner ? st.st_uid : (p.owner.set ? p.owner.uid : 0);
    uint32_t gid = p.keep_owner ? st.st_gid : (p.owner.set ? p.owner.gid : 0);
    bool same_attrs = uid == st.st_uid && gid == st.st_gid &&
                      (p.chmod < 0 || static_cast<mode_t>(p.chmod) == (st.st_mode & 07777));
    if (p.link_sources && same_attrs) {
      fs::create_hard_link(from, host, ec);
      if (!ec) return;
    }
    copy_content(from, host);
  } else {
    return;  // devices, fifos and sockets are not copied
  }
  apply_attrs(p, host, st);
}

// Copies a tree: `entries` are (path relative to the source top, host file);
// the top ("") maps onto `dest`.
struct SourceEntry {
  std::string inner;
  fs::path host;
  struct stat st {};
};

void place_all(const Placement& p, const std::vector<SourceEntry>& entries,
               const std::string& dest) {
  for (const SourceEntry& e : entries)
    place(p, e.host, e.st, e.inner.empty() ? dest : join_image(dest, e.inner));
}

std::vector<SourceEntry> context_entries(const BuildContext& ctx, const std::string& rel,
                                         const std::vector<std::string>& excludes) {
  std::vector<SourceEntry> out;
  for (const std::string& path : ctx.walk(rel, excludes)) {
    SourceEntry e;
    e.inner = path == rel ? "" : (rel == "." ? path : path.substr(rel.size() + 1));
    e.host = ctx.root() / path;
    if (::lstat(e.host.c_str(), &e.st) != 0) continue;
    out.push_back(std::move(e));
  }
  return out;
}

void view_walk(const LayeredView& view, const std::string& dir, const std::string& inner,
               const std::vector<std::string>& excludes, std::vector<SourceEntry>& out) {
  for (const std::string& name : view.list(dir)) {
    std::string path = join_image(dir, name);
    std::string rel = inner.empty() ? name : inner + "/" + name;
    bool skip = false;
    for (const std::string& x : excludes)
      if (glob_match(clean_relative(x), rel)) skip = true;
    if (skip) continue;
    auto e = view.lookup(path, false);
    if (!e || e->host.empty()) continue;
    out.push_back(SourceEntry{rel, e->host, e->st});
    if (S_ISDIR(e->st.st_mode)) view_walk(view, path, rel, excludes, out);
  }
}

std::vector<SourceEntry> view_entries(const LayeredView& view, const std::string& path,
                                      const std::vector<std::string>& excludes,
                                      const Location& at) {
  auto top = view.lookup(path, true);
  if (!top || top->host.empty())
    throw Error(at, "COPY --from source " + path + " does not exist", ExitCode::kNotFound);
  std::vector<SourceEntry> out{SourceEntry{"", top->host, top->st}};
  if (S_ISDIR(top->st.st_mode)) view_walk(view, top->path, "", excludes, out);
  return out;
}

std::string base_name(const std::string& p) {
  std::string s = p;
  while (s.size() > 1 && s.back() == '/')
    s.pop_back();
  size_t slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

Owner parse_owner(BuildRun& run, const StageState& s, const std::string& spec, const Location& at) {
  Owner o;
  if (spec.empty()) return o;
  o.set = true;
  try {
    std::vector<std::filesystem::path> lowers = snapshots(run, s);
    if (spec.find(':') != std::string::npos) {
      ResolvedUser u = resolve_user(lowers, {}, spec);
      o.uid = u.uid;
      o.gid = u.gid;
    } else {
      o.uid = resolve_user(lowers, {}, spec).uid;
      o.gid = o.uid;  // as Docker: a user alone means the same number as group
    }
  } catch (Error& e) {
    e.set_location_if_unknown(at);
    throw;
  }
  return o;
}

int parse_chmod(const std::string& v, const Location& at) {
  if (v.empty()) return -1;
  char* end = nullptr;
  long m = std::strtol(v.c_str(), &end, 8);
  if (*end || m < 0 || m > 07777) throw Error(at, "--chmod " + v + " is not an octal mode");
  return static_cast<int>(m);
}

bool is_url(const std::string& s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0;
}

// True when the file is an archive ADD extracts (tar, possibly compressed).
bool is_archive(const fs::path& file) {
  archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  bool ok = archive_read_open_filename(a, file.c_str(), 1 << 16) == ARCHIVE_OK;
  archive_entry* e = nullptr;
  ok = ok && archive_read_next_header(a, &e) == ARCHIVE_OK;
  archive_read_free(a);
  return ok;
}

std::string expand_dest(const StageState& s, std::string dest) {
  bool dir = !dest.empty() && dest.back() == '/';
  if (dest.empty() || dest[0] != '/')
    dest = join_image(s.config.working_dir.empty() ? "/" : s.config.working_dir, dest);
  std::string clean = "/" + clean_relative(dest);
  if (clean == "/.") clean = "/";
  if (dir && clean != "/") clean += "/";
  return clean;
}

}  // namespace

bool run_copy(BuildRun& run, StageState& s, const Instruction& ins) {
  Location at = where(run, ins);
  bool add = ins.keyword == "ADD";
  Lookup lookup = stage_lookup(s);
  std::vector<std::string> words =
      ins.json ? ins.argv : expand_words(ins.args, lookup, run.df.escape, at);
  if (ins.json)
    for (std::string& w : words)
      w = expand_word(w, lookup, run.df.escape, at);
  if (words.size() < 2) throw Error(at, ins.keyword + " needs a source and a destination");
  if (ins.flag("parents"))
    throw Error(at, ins.keyword + " --parents is not supported by gantry build");
  std::string dest = expand_dest(s, words.back());
  words.pop_back();
  const Flag* from = ins.flag("from");
  bool link = ins.flag("link") && ins.flag("link")->value != "false";
  std::vector<std::string> excludes;
  for (const Flag& f : ins.flags)
    if (f.name == "exclude") excludes.push_back(expand_word(f.value, lookup, run.df.escape, at));
  std::string chown =
      ins.flag("chown") ? expand_word(ins.flag("chown")->value, lookup, run.df.escape, at) : "";
  int chmod = parse_chmod(
      ins.flag("chmod") ? expand_word(ins.flag("chmod")->value, lookup, run.df.escape, at) : "",
      at);
  std::string checksum = ins.flag("checksum") ? ins.flag("checksum")->value : "";

  // What the step reads, for its key.
  std::string inputs =
      ins.keyword + "\n" + dest + "\n" + chown + "\n" + std::to_string(chmod) + "\n";
  for (const std::string& x : excludes)
    inputs += "exclude " + x + "\n";
  std::optional<StageState> source_state;
  std::vector<std::vector<std::string>> matched;  // per source (context)
  for (const std::string& w : words) {
    const Heredoc* doc = nullptr;
    for (const Heredoc& h : ins.heredocs)
      if (w == "<<" + h.name || w == "<<-" + h.name) doc = &h;
    if (doc) {
      inputs += "heredoc " + doc->name + " " + sha256_hex(doc->content) + "\n";
      matched.emplace_back();
      continue;
    }
    if (add && is_url(w)) {
      inputs += "url " + w + " " + checksum + "\n";
      matched.emplace_back();
      continue;
    }
    if (from) {
      inputs += "from " + w + "\n";
      matched.emplace_back();
      continue;
    }
    std::vector<std::string> paths = run.context.match(w, at);
    std::vector<std::string> all;
    for (const std::string& p : paths) {
      std::vector<std::string> tree = run.context.walk(p, excludes);
      all.insert(all.end(), tree.begin(), tree.end());
    }
    inputs += "src " + w + " " + run.context.digest(all) + "\n";
    matched.push_back(paths);
  }
  if (from) {
    std::string name = expand_word(from->value, lookup, run.df.escape, at);
    source_state = from_state(run, s, name, at);
    inputs += "from-state " + source_state->key + "\n";
  }
  std::string parent = link ? std::string() : s.key;
  std::string key = sha256_hex(parent + "\n" + inputs);
  Owner owner = parse_owner(run, s, chown, at);
  std::string created_by =
      ins.keyword + (from ? " --from=" + from->value : std::string()) + " " + ins.args;

  bool many = words.size() > 1 || std::any_of(words.begin(), words.end(), [](const std::string& w) {
                return w.find_first_of("*?[") != std::string::npos;
              });
  return layer_step(run, s, key, created_by, [&](const fs::path& upper) {
    std::vector<fs::path> lowers = link ? std::vector<fs::path>{} : snapshots(run, s);
    LayeredView below(lowers);
    Placement p{upper, link ? nullptr : &below, owner, chmod};
    p.link_sources = source_state.has_value();
    // The destination directory, with links of the image followed.
    std::string target = dest;
    bool trailing = target.size() > 1 && target.back() == '/';
    if (trailing) target.pop_back();
    target = below.resolve(target, true);
    auto existing = below.lookup(target, false);
    bool dest_dir =
        trailing || many || target == "/" || (existing && S_ISDIR(existing->st.st_mode));
    if (many && !trailing && !(existing && S_ISDIR(existing->st.st_mode)))
      throw Error(at,
                  "when copying several sources the destination must be a directory ending in /");
    if (dest_dir) ensure_dir(p, target, true);
    auto file_dest = [&](const std::string& name) {
      return dest_dir ? join_image(target, name) : target;
    };

    std::optional<LayeredView> from_view;
    if (source_state) from_view.emplace(snapshots(run, *source_state));
    for (size_t i = 0; i < words.size(); ++i) {
      const std::string& w = words[i];
      const Heredoc* doc = nullptr;
      for (const Heredoc& h : ins.heredocs)
        if (w == "<<" + h.name || w == "<<-" + h.name) doc = &h;
      if (doc) {
        TempDir tmp(run.store.temp_dir("heredoc"));
        fs::path f = tmp.path() / "f";
        std::string content =
            doc->expand ? expand_word(doc->content, lookup, run.df.escape, at) : doc->content;
        write_file_atomic(f, content);
        struct stat st {};
        ::lstat(f.c_str(), &st);
        st.st_mode = S_IFREG | 0644;
        ::chmod(f.c_str(), 0644);
        place(p, f, st, file_dest(doc->name));
        continue;
      }
      if (add && is_url(w)) {
        http::Client client;
        http::Request req;
        req.url = w;
        req.follow_redirects = true;
        req.max_body_bytes = 4ull << 30;
        http::Response resp = client.send(req);
        if (!resp.ok())
          throw Error(at, "ADD " + w + ": HTTP " + std::to_string(resp.status),
                      ExitCode::kExternal);
        if (!checksum.empty() && "sha256:" + sha256_hex(resp.body) != checksum)
          throw Error(at, "ADD " + w + ": the content does not match --checksum " + checksum,
                      ExitCode::kExternal);
        TempDir tmp(run.store.temp_dir("add"));
        fs::path f = tmp.path() / "f";
        write_file_atomic(f, resp.body);
        ::chmod(f.c_str(), 0600);
        struct stat st {};
        ::lstat(f.c_str(), &st);
        std::string name = base_name(w.substr(0, w.find_first_of("?#")));
        place(p, f, st, file_dest(name.empty() ? "download" : name));
        continue;
      }
      if (source_state) {
        std::vector<SourceEntry> entries = view_entries(*from_view, w, excludes, at);
        bool is_dir = S_ISDIR(entries.front().st.st_mode);
        place_all(p, entries, is_dir ? target : file_dest(base_name(w)));
        continue;
      }
      for (const std::string& rel : matched[i]) {
        std::vector<SourceEntry> entries = context_entries(run.context, rel, excludes);
        if (entries.empty()) continue;
        bool is_dir = S_ISDIR(entries.front().st.st_mode);
        if (add && !is_dir && is_archive(entries.front().host)) {
          fs::path into = ensure_dir(p, target, true);
          std::string blob = read_file(entries.front().host, ~size_t{0} >> 1);
          unpack_layer(blob, into, {}, Whiteouts::kKeep);
          continue;
        }
        // A directory's contents are copied, also when a wildcard matched it (as Docker).
        std::string d = is_dir ? target : file_dest(base_name(rel));
        place_all(p, entries, d);
      }
    }
  });
}

void materialize(BuildRun& run, const StageState* stage, const std::string& path,
                 const fs::path& into, const Location& at) {
  Placement p{into, nullptr, {}, -1, true};
  if (stage) {
    LayeredView view(snapshots(run, *stage));
    std::vector<SourceEntry> entries = view_entries(view, path, {}, at);
    place_all(p, entries, S_ISDIR(entries.front().st.st_mode) ? "/" : "/" + base_name(path));
    return;
  }
  std::vector<std::string> rel = run.context.match(path, at);
  for (const std::string& r : rel) {
    std::vector<SourceEntry> entries = context_entries(run.context, r, {});
    if (!entries.empty())
      place_all(p, entries, S_ISDIR(entries.front().st.st_mode) ? "/" : "/" + base_name(r));
  }
}

bool run_workdir(BuildRun& run, StageState& s, const Instruction& ins) {
  Location at = where(run, ins);
  std::string dir = expand_word(ins.args, stage_lookup(s), run.df.escape, at);
  if (dir.empty()) throw Error(at, "WORKDIR needs a path");
  dir = expand_dest(s, dir);
  if (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  s.config.working_dir = dir;
  std::vector<fs::path> lowers = snapshots(run, s);
  LayeredView below(lowers);
  std::string resolved = below.resolve(dir, true);
  auto e = below.lookup(resolved, false);
  if (e && S_ISDIR(e->st.st_mode)) {
    s.key = sha256_hex(s.key + "\nWORKDIR " + dir);
    s.config.add_history("WORKDIR " + dir, true, run.created);
    return false;
  }
  Owner owner;
  if (!s.config.user.empty()) owner = parse_owner(run, s, s.config.user, at);
  std::string key = sha256_hex(s.key + "\nWORKDIR " + dir + " " + s.config.user);
  return layer_step(run, s, key, "WORKDIR " + dir, [&](const fs::path& upper) {
    Placement p{upper, &below, owner, -1};
    ensure_dir(p, resolved, true);
  });
}

}  // namespace gantry::build
