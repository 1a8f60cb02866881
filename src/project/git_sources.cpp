#include "project/git_sources.h"

#include <map>

#include "core/file.h"
#include "doc/yaml.h"
#include "git/remote.h"
#include "project/fields.h"

namespace gantry::project {

namespace fs = std::filesystem;

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

GitItemRef parse_ref(const doc::Value* v) {
  GitItemRef r;
  if (!v || v->is_null()) return r;
  if (v->is_string()) {
    std::string name = v->as_string();
    if (starts_with(name, "refs/heads/"))
      r.ref.branch = name.substr(11);
    else if (starts_with(name, "refs/tags/"))
      r.ref.tag = name.substr(10);
    else
      r.name = name;
    if (name.empty()) v->fail("ref must not be empty");
    return r;
  }
  if (!v->is_map()) v->fail("ref must be a mapping with one of branch, tag or commit");
  check_fields(*v, {"branch", "tag", "commit"}, "a git ref");
  r.ref.branch = string_field(*v, "branch");
  r.ref.tag = string_field(*v, "tag");
  r.ref.commit = string_field(*v, "commit");
  int set = !r.ref.branch.empty() + !r.ref.tag.empty() + !r.ref.commit.empty();
  if (set > 1) v->fail("a git ref names exactly one of branch, tag or commit");
  return r;
}

doc::Value ref_value(const GitItemRef& r) {
  if (!r.name.empty()) return doc::Value(r.name);
  doc::Value v = doc::Value::map();
  if (!r.ref.branch.empty()) v.set("branch", r.ref.branch);
  if (!r.ref.tag.empty()) v.set("tag", r.ref.tag);
  if (!r.ref.commit.empty()) v.set("commit", r.ref.commit);
  return v;
}

std::string lock_key(const std::string& url, const GitItemRef& ref) {
  return url + "\n" + ref.str();
}

std::string short_id(const std::string& commit) {
  return commit.substr(0, 7);
}

}  // namespace

std::string GitItemRef::str() const {
  return name.empty() ? ref.str() : "ref " + name;
}

bool GitItemRef::operator==(const GitItemRef& o) const {
  return name == o.name && ref.branch == o.ref.branch && ref.tag == o.ref.tag &&
         ref.commit == o.ref.commit;
}

GitItem parse_git_item(const doc::Value& git) {
  GitItem item;
  item.where = git.span().location();
  if (git.is_string()) {
    item.url = git.as_string();
  } else if (git.is_map()) {
    check_fields(git, {"url", "ref", "subDir"}, "a git item");
    item.url = string_field(git, "url");
    if (item.url.empty()) git.fail("a git item needs a url");
    item.ref = parse_ref(git.find("ref"));
    item.sub_dir = string_field(git, "subDir");
    if (!item.sub_dir.empty()) {
      fs::path sub = fs::path(item.sub_dir).lexically_normal();
      if (sub.is_absolute() || starts_with(sub.string(), ".."))
        git.find("subDir")->fail("subDir must be a directory inside the repository");
      item.sub_dir = sub.string();
      while (!item.sub_dir.empty() && item.sub_dir.back() == '/')
        item.sub_dir.pop_back();
      if (item.sub_dir == ".") item.sub_dir.clear();
    }
  } else {
    git.fail("git must be a URL or a mapping with url, ref and subDir");
  }
  if (item.url.empty()) git.fail("a git item needs a url");
  return item;
}

GitUrlRewrite parse_git_url_rewrite(std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0)
    throw Error("--git-url-rewrite needs FROM=TO (got \"" + std::string(text) + "\")",
                ExitCode::kUsage);
  return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

std::string rewrite_git_url(const std::vector<GitUrlRewrite>& rewrites, const std::string& url) {
  const GitUrlRewrite* best = nullptr;
  for (const auto& r : rewrites)
    if (starts_with(url, r.from) && (!best || r.from.size() > best->from.size())) best = &r;
  return best ? best->to + url.substr(best->from.size()) : url;
}

std::vector<GitLockEntry> read_git_lock(const fs::path& file) {
  std::vector<GitLockEntry> out;
  if (!fs::exists(file)) return out;
  doc::Value d = doc::parse_yaml(read_file(file), file.string());
  if (d.is_null()) return out;
  if (!d.is_map()) d.fail("a git lock file must be a mapping with gitSources");
  check_fields(d, {"gitSources"}, "a git lock file");
  const doc::Value* list = d.find("gitSources");
  if (!list || list->is_null()) return out;
  if (!list->is_list()) list->fail("gitSources must be a list");
  for (const auto& e : list->as_list()) {
    if (!e.is_map()) e.fail("a gitSources entry must be a mapping with url, ref and commit");
    check_fields(e, {"url", "ref", "commit"}, "a gitSources entry");
    GitLockEntry entry;
    entry.url = string_field(e, "url");
    entry.ref = parse_ref(e.find("ref"));
    entry.commit = string_field(e, "commit");
    if (entry.url.empty() || entry.commit.size() != 40 ||
        entry.commit.find_first_not_of("0123456789abcdef") != std::string::npos)
      e.fail("a gitSources entry needs a url and a full 40-hex commit");
    out.push_back(std::move(entry));
  }
  return out;
}

void write_git_lock(const fs::path& file, const std::vector<GitLockEntry>& entries) {
  doc::Value list = doc::Value::list();
  for (const auto& e : entries)
    list.push_back(
        doc::Value::object({{"url", e.url}, {"ref", ref_value(e.ref)}, {"commit", e.commit}}));
  doc::Value d = doc::Value::object({{"gitSources", std::move(list)}});
  write_file_atomic(
      file, "# Commits of the project's git: items (gantry render --git-lock)\n" + doc::to_yaml(d));
}

struct GitSources::Impl {
  GitOptions options;
  std::unique_ptr<git::SourceCache> cache;
  std::map<std::string, git::FetchedSource> fetched;  // by lock_key
  std::vector<GitLockEntry> lock;

  git::FetchedSource fetch_ref(const std::string& url, const GitItemRef& ref) {
    if (ref.name.empty()) return cache->fetch(url, ref.ref, options.fetch);
    // kluctl's string form: a branch, else a tag of that name.
    try {
      return cache->fetch(url, git::SourceRef{.branch = ref.name}, options.fetch);
    } catch (const Error& e) {
      if (e.code() != ExitCode::kNotFound) throw;
      try {
        return cache->fetch(url, git::SourceRef{.tag = ref.name}, options.fetch);
      } catch (const Error& t) {
        if (t.code() != ExitCode::kNotFound) throw;
        throw Error("no branch or tag '" + ref.name + "' in " + git::redact_url(url) +
                        (options.fetch.offline ? " (offline: looked in the cache only)" : ""),
                    ExitCode::kNotFound);
      }
    }
  }
};

GitSources::GitSources(GitOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

GitSources::~GitSources() = default;

const std::vector<GitLockEntry>& GitSources::lock() const {
  return impl_->lock;
}

ResolvedGitItem GitSources::fetch(const GitItem& item) {
  Impl& m = *impl_;
  std::string what = item.what + " " + git::redact_url(item.url) + " (" + item.ref.str() + ")";
  if (m.options.cache_dir.empty())
    throw Error(item.where, what + ": no Git cache directory is configured", ExitCode::kUsage);
  if (!m.cache) m.cache = std::make_unique<git::SourceCache>(m.options.cache_dir);

  std::string url = rewrite_git_url(m.options.rewrites, item.url);
  std::string key = lock_key(item.url, item.ref);
  std::string pinned;
  for (const auto& p : m.options.pins)
    if (p.url == item.url && p.ref == item.ref) pinned = p.commit;

  auto it = m.fetched.find(key);
  if (it == m.fetched.end()) {
    git::FetchedSource src;
    try {
      src = pinned.empty() ? m.fetch_ref(url, item.ref)
                           : m.cache->fetch(url, git::SourceRef{.commit = pinned}, m.options.fetch);
    } catch (const Error& e) {
      std::string at = url == item.url ? "" : " (rewritten to " + git::redact_url(url) + ")";
      std::string lock = pinned.empty() ? "" : " (locked to commit " + short_id(pinned) + ")";
      throw Error(item.where, what + at + lock + ": " + e.str(), e.code());
    }
    it = m.fetched.emplace(key, std::move(src)).first;
    m.lock.push_back(GitLockEntry{item.url, item.ref, it->second.commit});
  }
  const git::FetchedSource& src = it->second;

  ResolvedGitItem out;
  out.url = src.url;
  out.commit = src.commit;
  out.root = src.tree;
  out.description =
      git::redact_url(item.url) + " (" + item.ref.str() + ", commit " + short_id(src.commit) + ")";
  out.dir = src.tree;
  if (!item.sub_dir.empty()) {
    out.dir = join_within(src.tree, item.sub_dir);
    if (!fs::is_directory(out.dir))
      throw Error(item.where,
                  what + ": subDir \"" + item.sub_dir + "\" not found in " + src.url +
                      " at commit " + short_id(src.commit),
                  ExitCode::kNotFound);
  }
  return out;
}

}  // namespace gantry::project
