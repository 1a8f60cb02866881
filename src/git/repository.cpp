#include "git/repository.h"

#include <fstream>
#include <mutex>

#include "core/error.h"
#include "core/file.h"
#include "git/internal.h"

namespace gantry::git {

namespace fs = std::filesystem;

void ensure_libgit2() {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

std::string last_error_message() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown error";
}

void check(int rc, const std::string& what, ExitCode code) {
  if (rc < 0) throw Error(what + ": " + last_error_message(), code);
}

std::string hex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

CommitPtr head_commit(git_repository* repo) {
  git_object* obj = nullptr;
  if (git_revparse_single(&obj, repo, "HEAD^{commit}") < 0)
    throw Error("the repository has no commit yet (HEAD: " + last_error_message() + ")",
                ExitCode::kNotFound);
  return CommitPtr(reinterpret_cast<git_commit*>(obj));
}

Signature parse_signature(std::string_view text) {
  size_t lt = text.rfind('<');
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
      s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
      s.remove_suffix(1);
    return std::string(s);
  };
  std::string t = trim(text);
  if (lt == std::string_view::npos || t.empty() || t.back() != '>')
    throw Error("--author expects \"Name <email>\", got '" + std::string(text) + "'",
                ExitCode::kUsage);
  Signature s{trim(text.substr(0, lt)), std::string(t.substr(t.rfind('<') + 1))};
  s.email.pop_back();
  auto bad = [](const std::string& v) { return v.find_first_of("<>\r\n") != std::string::npos; };
  if (s.name.empty() || s.email.empty() || bad(s.name) || bad(s.email))
    throw Error("--author expects \"Name <email>\", got '" + std::string(text) + "'",
                ExitCode::kUsage);
  return s;
}

std::string expand_message(std::string_view tmpl,
                           const std::map<std::string, std::string>& values) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    char c = tmpl[i];
    if ((c == '{' || c == '}') && i + 1 < tmpl.size() && tmpl[i + 1] == c) {
      out += c;
      ++i;
    } else if (c == '{') {
      size_t end = tmpl.find('}', i);
      if (end == std::string_view::npos)
        throw Error("message template: unclosed '{' at offset " + std::to_string(i),
                    ExitCode::kUsage);
      std::string name(tmpl.substr(i + 1, end - i - 1));
      auto it = values.find(name);
      if (it == values.end()) {
        std::string known;
        for (const auto& [k, v] : values)
          known += (known.empty() ? "{" : ", {") + k + "}";
        throw Error("message template: unknown placeholder {" + name + "} (known: " + known + ")",
                    ExitCode::kUsage);
      }
      out += it->second;
      i = end;
    } else {
      out += c;
    }
  }
  return out;
}

Repository::Repository(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Repository::Repository(Repository&&) noexcept = default;
Repository& Repository::operator=(Repository&&) noexcept = default;
Repository::~Repository() = default;

Repository Repository::open(const fs::path& path) {
  ensure_libgit2();
  git_repository* raw = nullptr;
  fs::path start = fs::absolute(path);
  if (git_repository_open_ext(&raw, start.c_str(), 0, nullptr) < 0)
    throw Error("no git repository at or above " + path.string() + ": " + last_error_message(),
                ExitCode::kNotFound);
  auto impl = std::make_unique<Impl>();
  impl->repo.reset(raw);
  const char* wd = git_repository_workdir(raw);
  if (!wd)
    throw Error(path.string() + " is a bare repository; gantry needs a working tree",
                ExitCode::kInvalidInput);
  impl->workdir = fs::weakly_canonical(fs::path(wd));
  return Repository(std::move(impl));
}

const fs::path& Repository::workdir() const {
  return impl_->workdir;
}

namespace {

// git's automatic abbreviation length: 7, or half the bit length of the
// number of packed objects (rounded up) when that is larger.
unsigned auto_abbrev(git_repository* repo) {
  fs::path packs = fs::path(git_repository_commondir(repo)) / "objects" / "pack";
  unsigned long long count = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(packs, ec)) {
    if (e.path().extension() != ".idx") continue;
    std::ifstream in(e.path(), std::ios::binary);
    unsigned char head[8];
    if (!in.read(reinterpret_cast<char*>(head), 8)) continue;
    // Version 2 starts with "\377tOc" and a version word; version 1 with the fan-out table.
    bool v2 = head[0] == 0xff && head[1] == 't' && head[2] == 'O' && head[3] == 'c';
    in.seekg((v2 ? 8 : 0) + 255 * 4);
    unsigned char n[4];
    if (!in.read(reinterpret_cast<char*>(n), 4)) continue;
    count += (unsigned long long)n[0] << 24 | n[1] << 16 | n[2] << 8 | n[3];
  }
  unsigned bits = 0;
  for (auto c = count; c; c >>= 1)
    ++bits;
  return std::max(7u, (bits + 1) / 2);
}

unsigned abbrev_length(git_repository* repo) {
  git_config* raw = nullptr;
  if (git_repository_config_snapshot(&raw, repo) < 0) return auto_abbrev(repo);
  ConfigPtr cfg(raw);
  git_buf value = GIT_BUF_INIT;
  std::string v;
  if (git_config_get_string_buf(&value, cfg.get(), "core.abbrev") == 0) {
    v = std::string(value.ptr, value.size);
    git_buf_dispose(&value);
  }
  if (v.empty() || v == "auto") return auto_abbrev(repo);
  int b = 1;
  if (git_config_parse_bool(&b, v.c_str()) == 0 && !b) return GIT_OID_HEXSZ;
  int32_t n = 0;
  if (git_config_parse_int32(&n, v.c_str()) == 0 && n >= 4 && n <= GIT_OID_HEXSZ)
    return static_cast<unsigned>(n);
  return auto_abbrev(repo);
}

}  // namespace

std::string Repository::describe(const DescribeOptions& options) const {
  git_repository* repo = impl_->repo.get();
  CommitPtr head = head_commit(repo);
  git_describe_options opts;
  git_describe_options_init(&opts, GIT_DESCRIBE_OPTIONS_VERSION);
  opts.describe_strategy = GIT_DESCRIBE_TAGS;
  opts.pattern = options.match.empty() ? nullptr : options.match.c_str();
  opts.only_follow_first_parent = options.first_parent ? 1 : 0;
  opts.show_commit_oid_as_fallback = options.always ? 1 : 0;
  git_describe_result* raw = nullptr;
  if (git_describe_commit(&raw, reinterpret_cast<git_object*>(head.get()), &opts) < 0) {
    std::string why = last_error_message();
    throw Error("describing HEAD" +
                    (options.match.empty() ? std::string()
                                           : " with tags matching '" + options.match + "'") +
                    ": " + why,
                ExitCode::kNotFound);
  }
  DescribePtr result(raw);
  git_describe_format_options fmt;
  git_describe_format_options_init(&fmt, GIT_DESCRIBE_FORMAT_OPTIONS_VERSION);
  fmt.abbreviated_size = abbrev_length(repo);
  Buf out;
  check(git_describe_format(&out.buf, result.get(), &fmt), "formatting the description of HEAD");
  return out.str();
}

std::optional<Repository::HeadCommit> Repository::head() const {
  git_oid oid;
  if (git_reference_name_to_id(&oid, impl_->repo.get(), "HEAD") != 0) return std::nullopt;
  git_commit* raw = nullptr;
  if (git_commit_lookup(&raw, impl_->repo.get(), &oid) != 0) return std::nullopt;
  CommitPtr commit(raw);
  HeadCommit out;
  out.id = git_oid_tostr_s(&oid);
  out.time = git_commit_time(commit.get());
  git_remote* remote = nullptr;
  if (git_remote_lookup(&remote, impl_->repo.get(), "origin") == 0) {
    RemotePtr r(remote);
    if (const char* url = git_remote_url(r.get())) out.origin_url = url;
  }
  return out;
}

std::optional<std::string> Repository::current_branch() const {
  git_reference* raw = nullptr;
  int rc = git_reference_lookup(&raw, impl_->repo.get(), "HEAD");
  check(rc, "reading HEAD");
  ReferencePtr head(raw);
  if (git_reference_type(head.get()) != GIT_REFERENCE_SYMBOLIC) return std::nullopt;
  std::string target = git_reference_symbolic_target(head.get());
  const std::string prefix = "refs/heads/";
  if (target.rfind(prefix, 0) != 0) return std::nullopt;
  return target.substr(prefix.size());
}

Signature Repository::default_signature() const {
  git_signature* raw = nullptr;
  if (git_signature_default(&raw, impl_->repo.get()) == 0) {
    SignaturePtr sig(raw);
    return {sig->name, sig->email};
  }
  return {"gantry", "gantry@localhost"};
}

std::string Repository::relative_path(const fs::path& path) const {
  fs::path abs = fs::weakly_canonical(fs::absolute(path));
  if (!is_within(impl_->workdir, abs) || abs == impl_->workdir)
    throw Error(path.string() + " is outside the git working tree " + impl_->workdir.string(),
                ExitCode::kInvalidInput);
  return abs.lexically_relative(impl_->workdir).generic_string();
}

void Repository::check_can_commit(const std::vector<fs::path>& files,
                                  const std::string& branch) const {
  git_repository* repo = impl_->repo.get();
  head_commit(repo);  // throws on a repository without commits
  for (const auto& f : files) {
    std::string rel = relative_path(f);
    unsigned int flags = 0;
    int rc = git_status_file(&flags, repo, rel.c_str());
    if (rc == GIT_ENOTFOUND || (flags & (GIT_STATUS_WT_NEW | GIT_STATUS_IGNORED)))
      throw Error(Location{f.string()}, "not tracked by git; only tracked files can be committed",
                  ExitCode::kInvalidInput);
    check(rc, "reading the git status of " + rel);
    if (flags != GIT_STATUS_CURRENT)
      throw Error(Location{f.string()},
                  "has uncommitted changes; commit or stash them first, so that gantry's commit "
                  "holds its own edits only",
                  ExitCode::kInvalidInput);
  }
  auto current = current_branch();
  if (branch.empty()) {
    if (!current)
      throw Error("HEAD is detached: give --branch NAME to commit on a new branch",
                  ExitCode::kInvalidInput);
    return;
  }
  int valid = 0;
  if (git_reference_name_is_valid(&valid, ("refs/heads/" + branch).c_str()) < 0 || !valid)
    throw Error("'" + branch + "' is not a valid branch name", ExitCode::kUsage);
  if (current == branch) return;
  git_reference* raw = nullptr;
  if (git_branch_lookup(&raw, repo, branch.c_str(), GIT_BRANCH_LOCAL) == 0) {
    ReferencePtr existing(raw);
    throw Error("a local branch '" + branch + "' already exists and is not checked out",
                ExitCode::kInvalidInput);
  }
}

namespace {

// HEAD's commit, its tree, and a new in-memory index holding that tree.
struct HeadIndex {
  CommitPtr parent;
  TreePtr tree;
  IndexPtr index;
};

HeadIndex head_index(git_repository* repo) {
  HeadIndex h;
  h.parent = head_commit(repo);
  git_tree* raw_tree = nullptr;
  check(git_commit_tree(&raw_tree, h.parent.get()), "reading HEAD's tree");
  h.tree = TreePtr(raw_tree);
  git_index* raw_index = nullptr;
  check(git_index_new(&raw_index), "creating an index");
  h.index = IndexPtr(raw_index);
  check(git_index_read_tree(h.index.get(), h.tree.get()), "reading HEAD's tree");
  return h;
}

}  // namespace

CommitResult Repository::finish_commit(git_index* index, const git_commit* parent_commit,
                                       const git_tree* parent_tree_raw,
                                       const std::vector<std::string>& rels,
                                       const std::string& message, const Signature& author,
                                       const std::string& branch) {
  git_repository* repo = impl_->repo.get();
  git_oid tree_id;
  check(git_index_write_tree_to(&tree_id, index, repo), "writing the commit's tree");
  if (git_oid_equal(&tree_id, git_tree_id(parent_tree_raw))) return {};

  CommitResult result;
  auto current = current_branch();
  result.branch = branch.empty() ? current.value_or("") : branch;
  if (!branch.empty() && current != branch) {
    git_reference* raw_ref = nullptr;
    check(git_branch_create(&raw_ref, repo, branch.c_str(), parent_commit, 0),
          "creating branch " + branch);
    ReferencePtr created(raw_ref);
    check(git_repository_set_head(repo, git_reference_name(created.get())),
          "checking out branch " + branch);
  }

  git_tree* raw_new_tree = nullptr;
  check(git_tree_lookup(&raw_new_tree, repo, &tree_id), "reading the new tree");
  TreePtr tree(raw_new_tree);
  git_signature* raw_sig = nullptr;
  check(git_signature_now(&raw_sig, author.name.c_str(), author.email.c_str()),
        "author " + author.str());
  SignaturePtr sig(raw_sig);
  git_oid id;
  const git_commit* parents[] = {parent_commit};
  check(git_commit_create(&id, repo, "HEAD", sig.get(), sig.get(), nullptr, message.c_str(),
                          tree.get(), 1, parents),
        "committing");
  result.created = true;
  result.id = hex(id);

  // The index follows, so `git status` shows the files as committed.
  git_index* raw_repo_index = nullptr;
  check(git_repository_index(&raw_repo_index, repo), "opening the index");
  IndexPtr repo_index(raw_repo_index);
  // libgit2 caches the index; someone else (git add) may have changed it since.
  check(git_index_read(repo_index.get(), 1), "reading the index");
  for (const auto& rel : rels) {
    std::error_code ec;
    if (fs::exists(workdir() / rel, ec))
      check(git_index_add_bypath(repo_index.get(), rel.c_str()), "staging " + rel);
    else
      check(git_index_remove_bypath(repo_index.get(), rel.c_str()), "unstaging " + rel);
  }
  check(git_index_write(repo_index.get()), "writing the index");
  return result;
}

CommitResult Repository::commit_paths(const std::vector<fs::path>& paths,
                                      const std::string& message, const Signature& author) {
  git_repository* repo = impl_->repo.get();
  HeadIndex head = head_index(repo);
  git_index* index = head.index.get();
  std::vector<std::string> rels;
  auto add_file = [&](const fs::path& file) {
    std::string rel = relative_path(file);
    git_index_entry entry{};
    fs::perms perms = fs::status(file).permissions();
    entry.mode = (perms & fs::perms::owner_exec) != fs::perms::none ? GIT_FILEMODE_BLOB_EXECUTABLE
                                                                    : GIT_FILEMODE_BLOB;
    entry.path = rel.c_str();
    check(git_blob_create_from_workdir(&entry.id, repo, rel.c_str()), "storing " + rel);
    check(git_index_add(index, &entry), "staging " + rel);
    rels.push_back(rel);
  };
  for (const auto& p : paths) {
    std::string rel = relative_path(p);
    // What HEAD has there goes; what the working tree has there comes.
    for (size_t i = git_index_entrycount(index); i-- > 0;) {
      const git_index_entry* e = git_index_get_byindex(index, i);
      std::string path = e->path;
      if (path == rel || path.rfind(rel + "/", 0) == 0) {
        rels.push_back(path);
        check(git_index_remove(index, path.c_str(), 0), "unstaging " + path);
      }
    }
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) {
      add_file(p);
    } else if (fs::is_directory(p, ec)) {
      for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file() && !e.is_symlink()) add_file(e.path());
    }
  }
  auto current = current_branch();
  if (!current)
    throw Error("HEAD is detached: check out a branch to commit on", ExitCode::kInvalidInput);
  return finish_commit(index, head.parent.get(), head.tree.get(), rels, message, author, "");
}

CommitResult Repository::commit_files(const std::vector<fs::path>& files,
                                      const std::string& message, const Signature& author,
                                      const std::string& branch) {
  git_repository* repo = impl_->repo.get();
  // HEAD's tree plus the working-tree content of exactly `files`.
  HeadIndex head = head_index(repo);
  git_index* index = head.index.get();
  std::vector<std::string> rels;
  for (const auto& f : files) {
    std::string rel = relative_path(f);
    const git_index_entry* old = git_index_get_bypath(index, rel.c_str(), 0);
    if (!old)
      throw Error(Location{f.string()}, "not in HEAD; only tracked files can be committed",
                  ExitCode::kInvalidInput);
    git_index_entry entry = *old;
    check(git_blob_create_from_workdir(&entry.id, repo, rel.c_str()), "storing " + rel);
    check(git_index_add(index, &entry), "staging " + rel);
    rels.push_back(rel);
  }
  return finish_commit(index, head.parent.get(), head.tree.get(), rels, message, author, branch);
}

}  // namespace gantry::git
