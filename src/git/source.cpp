#include "git/source.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "core/digest.h"
#include "core/error.h"
#include "core/file.h"
#include "git/internal.h"

namespace gantry::git {

namespace fs = std::filesystem;

namespace {

using RemoteHeads = std::vector<std::pair<std::string, git_oid>>;  // name, oid as advertised

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0;
  });
}

// The checked form of a SourceRef.
struct Wanted {
  enum Kind { kDefault, kBranch, kTag, kCommit } kind = kDefault;
  std::string name;  // branch or tag name, or the commit id in lower case

  // The local ref that mirrors the server's (branches and tags).
  std::string ref() const {
    return kind == kBranch ? "refs/heads/" + name : kind == kTag ? "refs/tags/" + name : "";
  }
  // "branch 'main'", "tag 'v1'", "commit '1a2b…'", "default branch".
  std::string quoted() const {
    switch (kind) {
      case kBranch:
        return "branch '" + name + "'";
      case kTag:
        return "tag '" + name + "'";
      case kCommit:
        return "commit '" + name + "'";
      case kDefault:
        break;
    }
    return "default branch";
  }
};

Wanted check_ref(const SourceRef& r) {
  std::vector<std::string> given;
  if (!r.branch.empty()) given.push_back("branch '" + r.branch + "'");
  if (!r.tag.empty()) given.push_back("tag '" + r.tag + "'");
  if (!r.commit.empty()) given.push_back("commit '" + r.commit + "'");
  if (given.size() > 1) {
    std::string list;
    for (const auto& g : given)
      list += (list.empty() ? "" : ", ") + g;
    throw Error("a git source names one of branch, tag and commit, not several (" + list + ")",
                ExitCode::kInvalidInput);
  }
  Wanted w;
  if (!r.branch.empty()) {
    w = {Wanted::kBranch, r.branch};
  } else if (!r.tag.empty()) {
    w = {Wanted::kTag, r.tag};
  } else if (!r.commit.empty()) {
    w = {Wanted::kCommit, r.commit};
    std::transform(w.name.begin(), w.name.end(), w.name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!is_hex(w.name) || w.name.size() < 4 || w.name.size() > GIT_OID_HEXSZ)
      throw Error("commit '" + r.commit + "' is not a commit id (4 to 40 hex digits)",
                  ExitCode::kInvalidInput);
    return w;
  }
  if (w.kind != Wanted::kDefault) {
    int valid = 0;
    if (git_reference_name_is_valid(&valid, w.ref().c_str()) < 0 || !valid ||
        w.name.find_first_of("*:") != std::string::npos)
      throw Error(
          w.quoted() + " is not a valid " + (w.kind == Wanted::kTag ? "tag" : "branch") + " name",
          ExitCode::kInvalidInput);
  }
  return w;
}

bool is_full_id(const Wanted& w) {
  return w.kind == Wanted::kCommit && w.name.size() == GIT_OID_HEXSZ;
}

git_oid parse_oid(const std::string& hex_id) {
  git_oid id;
  check(git_oid_fromstr(&id, hex_id.c_str()), "reading commit id " + hex_id,
        ExitCode::kInvalidInput);
  return id;
}

// The in-process mutex and the lock file of one URL, held together.
class UrlLock {
 public:
  UrlLock(std::shared_ptr<std::mutex> mu, const fs::path& file) : mu_(std::move(mu)), guard_(*mu_) {
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw Error(Location{file.string()}, std::string("cannot open: ") + std::strerror(errno),
                  ExitCode::kExternal);
    while (::flock(fd_, LOCK_EX) < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd_);
      throw Error(Location{file.string()}, std::string("cannot lock: ") + std::strerror(err),
                  ExitCode::kExternal);
    }
  }
  ~UrlLock() { ::close(fd_); }  // closing releases the flock
  UrlLock(const UrlLock&) = delete;
  UrlLock& operator=(const UrlLock&) = delete;

 private:
  std::shared_ptr<std::mutex> mu_;
  std::lock_guard<std::mutex> guard_;
  int fd_ = -1;
};

// One conversation with the server of `url`: list its refs, fetch refspecs.
// Every failure becomes the Error the header promises, scrubbed of secrets.
class Connection {
 public:
  Connection(const std::string& url, const FetchOptions& o, git_repository* repo)
      : url_(url), shown_(redact_url(url)), o_(o), repo_(repo) {}

  const std::string& shown() const { return shown_; }

  // The refs the server advertises (HEAD first when it has one), and the
  // branch its HEAD points at ("" when it does not say).
  const RemoteHeads& heads() {
    if (listed_) return heads_;
    open();
    new_session();
    git_remote_callbacks cb = callbacks(session_);
    int rc = git_remote_connect(remote_.get(), GIT_DIRECTION_FETCH, &cb, nullptr, nullptr);
    if (rc < 0) fail("", rc);
    const git_remote_head** list = nullptr;
    size_t n = 0;
    rc = git_remote_ls(&list, &n, remote_.get());
    if (rc < 0) fail("", rc);
    for (size_t i = 0; i < n; ++i) {
      heads_.emplace_back(list[i]->name, list[i]->oid);
      if (std::string_view(list[i]->name) == "HEAD" && list[i]->symref_target)
        default_branch_ = list[i]->symref_target;
    }
    listed_ = true;
    return heads_;
  }

  const std::string& default_branch() {
    heads();
    return default_branch_;
  }

  // The advertised oid of `name` (peeled: the "^{}" entry of an annotated tag).
  std::optional<git_oid> find(const std::string& name, bool peeled) {
    std::optional<git_oid> found;
    for (const auto& [n, id] : heads()) {
      if (n == name && !found) found = id;
      if (peeled && n == name + "^{}") return id;
    }
    return found;
  }

  // Fetches `specs` into the repository; returns the number of objects
  // received. `quiet`: a failure returns nullopt instead of throwing (the
  // message is kept for a later error).
  std::optional<size_t> fetch(const std::vector<std::string>& specs, bool quiet = false) {
    open();
    new_session();
    git_fetch_options opts;
    git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
    opts.callbacks = callbacks(session_);
    opts.prune = GIT_FETCH_NO_PRUNE;
    opts.update_fetchhead = 0;
    opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    std::vector<char*> raw;
    std::vector<std::string> copies = specs;
    for (auto& s : copies)
      raw.push_back(s.data());
    git_strarray refspecs{raw.data(), raw.size()};
    int rc = git_remote_fetch(remote_.get(), &refspecs, &opts, "gantry: fetch");
    size_t received = rc < 0 ? 0 : git_remote_stats(remote_.get())->received_objects;
    if (rc < 0) last_message_ = last_error_message();
    remote_.reset();  // fetch disconnects; a later call starts afresh
    if (rc < 0) {
      if (quiet && !session_.refused_credentials && session_.problem.empty()) return std::nullopt;
      fail("", rc);
    }
    return received;
  }

  [[noreturn]] void fail(const std::string& what, int rc) {
    std::string message = last_message_.empty() ? last_error_message() : last_message_;
    last_message_.clear();
    // A server whose TLS certificate or ssh host key is not trusted was not
    // reached as far as gantry is concerned: only credentials make it "authentication".
    bool auth = session_.refused_credentials || rc == GIT_EAUTH;
    std::string why = session_.problem.empty() ? message : session_.problem;
    std::string text = (auth ? "authentication failed for " : "cannot reach ") + shown_ +
                       (what.empty() ? "" : " (" + what + ")") + ": " + why;
    throw Error(scrub(text, o_.credentials), ExitCode::kExternal);
  }

 private:
  void open() {
    if (remote_) return;
    git_remote* r = nullptr;
    int rc = repo_ ? git_remote_create_anonymous(&r, repo_, url_.c_str())
                   : git_remote_create_detached(&r, url_.c_str());
    if (rc < 0)
      throw Error(scrub("invalid git URL " + shown_ + ": " + last_error_message(), o_.credentials),
                  ExitCode::kInvalidInput);
    remote_.reset(r);
  }

  void new_session() {
    session_ = Session();
    session_.creds = &o_.credentials;
    session_.url = url_;
  }

  std::string url_, shown_;
  const FetchOptions& o_;
  git_repository* repo_;
  RemotePtr remote_;
  Session session_;
  bool listed_ = false;
  RemoteHeads heads_;
  std::string default_branch_;
  std::string last_message_;
};

// The ref gantry keeps for the server's HEAD: symbolic to refs/heads/<default>,
// or direct when the server's HEAD is detached or it does not say.
constexpr const char* kDefaultRef = "refs/gantry/HEAD";

// Looks `name` up in the cache; nullopt when absent.
std::optional<git_oid> local_ref(git_repository* repo, const std::string& name) {
  git_oid id;
  if (git_reference_name_to_id(&id, repo, name.c_str()) < 0) return std::nullopt;
  return id;
}

bool have_object(git_repository* repo, const git_oid& id) {
  git_odb* odb = nullptr;
  if (git_repository_odb(&odb, repo) < 0) return false;
  bool found = git_odb_exists(odb, &id) != 0;
  git_odb_free(odb);
  return found;
}

// The commit `id` (a tag is peeled) refers to; kInvalidInput when it is no commit.
CommitPtr peel_to_commit(git_repository* repo, const git_oid& id, const Wanted& w,
                         const std::string& shown) {
  git_object* obj = nullptr;
  check(git_object_lookup(&obj, repo, &id, GIT_OBJECT_ANY),
        "reading " + w.quoted() + " of " + shown + " from the cache");
  ObjectPtr o(obj);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, o.get(), GIT_OBJECT_COMMIT) < 0)
    throw Error(w.quoted() + " in " + shown + " does not point at a commit",
                ExitCode::kInvalidInput);
  return CommitPtr(reinterpret_cast<git_commit*>(peeled));
}

// A commit id (full or abbreviated) looked up among the objects in the cache.
std::optional<git_oid> local_commit(git_repository* repo, const std::string& prefix,
                                    const std::string& shown) {
  git_oid id;
  check(git_oid_fromstrn(&id, prefix.c_str(), prefix.size()), "reading commit id " + prefix,
        ExitCode::kInvalidInput);
  git_object* obj = nullptr;
  int rc = git_object_lookup_prefix(&obj, repo, &id, prefix.size(), GIT_OBJECT_COMMIT);
  if (rc == GIT_EAMBIGUOUS)
    throw Error("commit '" + prefix + "' is ambiguous in " + shown + ": give more digits",
                ExitCode::kInvalidInput);
  if (rc < 0) return std::nullopt;
  git_oid found = *git_object_id(obj);
  git_object_free(obj);
  return found;
}

void set_ref(git_repository* repo, const std::string& name, const git_oid& id) {
  git_reference* ref = nullptr;
  check(git_reference_create(&ref, repo, name.c_str(), &id, 1, "gantry: fetch"),
        "updating " + name + " in the cache");
  git_reference_free(ref);
}

void set_symbolic(git_repository* repo, const std::string& name, const std::string& target) {
  git_reference* ref = nullptr;
  check(git_reference_symbolic_create(&ref, repo, name.c_str(), target.c_str(), 1, "gantry: fetch"),
        "updating " + name + " in the cache");
  git_reference_free(ref);
}

// --- writing a commit's tree -------------------------------------------------

void write_blob_file(const fs::path& path, const git_blob* blob, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    throw Error(Location{path.string()}, std::string("cannot create: ") + std::strerror(errno),
                ExitCode::kExternal);
  const char* data = static_cast<const char*>(git_blob_rawcontent(blob));
  auto left = static_cast<size_t>(git_blob_rawsize(blob));
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      throw Error(Location{path.string()}, std::string("cannot write: ") + std::strerror(err),
                  ExitCode::kExternal);
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  ::fchmod(fd, mode);  // exactly the mode Git records, whatever the umask
  ::close(fd);
}

void write_entries(git_repository* repo, const git_tree* tree, const fs::path& dir,
                   const std::string& prefix) {
  size_t n = git_tree_entrycount(tree);
  for (size_t i = 0; i < n; ++i) {
    const git_tree_entry* e = git_tree_entry_byindex(tree, i);
    std::string name = git_tree_entry_name(e);
    std::string rel = prefix + name;
    if (name.empty() || name == "." || name == ".." || name == ".git" ||
        name.find('/') != std::string::npos)
      throw Error("the tree has an entry gantry refuses to write: '" + rel + "'",
                  ExitCode::kInvalidInput);
    fs::path path = dir / name;
    git_filemode_t mode = git_tree_entry_filemode(e);
    if (mode == GIT_FILEMODE_TREE) {
      fs::create_directory(path);
      git_tree* sub = nullptr;
      check(git_tree_lookup(&sub, repo, git_tree_entry_id(e)), "reading directory " + rel);
      TreePtr owned(sub);
      write_entries(repo, owned.get(), path, rel + "/");
    } else if (mode == GIT_FILEMODE_COMMIT) {
      fs::create_directory(path);  // a submodule: not supported, left empty
    } else {
      git_blob* raw = nullptr;
      check(git_blob_lookup(&raw, repo, git_tree_entry_id(e)), "reading file " + rel);
      std::unique_ptr<git_blob, Deleter<git_blob_free>> blob(raw);
      if (mode == GIT_FILEMODE_LINK) {
        std::string target(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                           static_cast<size_t>(git_blob_rawsize(blob.get())));
        if (target.empty() || target.find('\0') != std::string::npos)
          throw Error("the tree has a symlink with an invalid target: '" + rel + "'",
                      ExitCode::kInvalidInput);
        fs::create_symlink(target, path);
      } else {
        write_blob_file(path, blob.get(), mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644);
      }
    }
  }
}

// trees/<id>/ holding the files of `commit`, written once: into a temporary
// directory beside it, then renamed into place.
fs::path materialise(git_repository* repo, const git_commit* commit, const fs::path& trees) {
  std::string id = hex(*git_commit_id(commit));
  fs::path final_dir = trees / id;
  std::error_code ec;
  if (fs::is_directory(final_dir, ec)) return final_dir;
  fs::create_directories(trees);
  static std::atomic<unsigned> counter{0};
  fs::path tmp =
      trees / (".tmp-" + id + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::remove_all(tmp, ec);
  try {
    fs::create_directory(tmp);
    git_tree* raw = nullptr;
    check(git_commit_tree(&raw, commit), "reading the tree of commit " + id);
    TreePtr tree(raw);
    write_entries(repo, tree.get(), tmp, "");
  } catch (Error& e) {
    fs::remove_all(tmp, ec);
    e.add_context("writing the files of commit " + id);
    throw;
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    throw Error("writing the files of commit " + id + ": " + e.what(), ExitCode::kExternal);
  }
  if (::rename(tmp.c_str(), final_dir.c_str()) < 0) {
    int err = errno;
    fs::remove_all(tmp, ec);
    // Another writer (a mirror URL, another process) was first: its tree is the same.
    if (!fs::is_directory(final_dir, ec))
      throw Error(Location{final_dir.string()}, std::string("cannot rename: ") + std::strerror(err),
                  ExitCode::kExternal);
  }
  return final_dir;
}

// --- which commits were used (for prune_trees) -------------------------------

constexpr size_t kHistory = 100;  // commits remembered per URL

std::vector<std::string> read_lines(const fs::path& file) {
  std::vector<std::string> lines;
  std::error_code ec;
  if (!fs::exists(file, ec)) return lines;
  std::istringstream in(read_file(file));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

void record_use(const fs::path& file, const std::string& commit) {
  std::vector<std::string> lines = read_lines(file);
  if (!lines.empty() && lines.back() == commit) return;
  std::erase(lines, commit);
  lines.push_back(commit);
  if (lines.size() > kHistory) lines.erase(lines.begin(), lines.end() - kHistory);
  std::string text;
  for (const auto& l : lines)
    text += l + "\n";
  write_file_atomic(file, text);
}

}  // namespace

std::string SourceRef::str() const {
  if (!branch.empty()) return "branch " + branch;
  if (!tag.empty()) return "tag " + tag;
  if (!commit.empty()) return "commit " + commit.substr(0, 7);
  return "default branch";
}

struct SourceCache::Impl {
  fs::path root;
  std::mutex mu;
  std::map<std::string, std::shared_ptr<std::mutex>> locks;  // by cache key

  std::string key(const std::string& url) const { return sha256_hex(redact_url(url)); }
  fs::path repos() const { return root / "repos"; }
  fs::path trees() const { return root / "trees"; }

  std::shared_ptr<std::mutex> mutex_for(const std::string& key) {
    std::lock_guard<std::mutex> g(mu);
    auto& m = locks[key];
    if (!m) m = std::make_shared<std::mutex>();
    return m;
  }

  // The URL's bare repository, created when missing (or unreadable).
  RepositoryPtr open_repo(const fs::path& path, bool create) {
    git_repository* r = nullptr;
    if (git_repository_open_bare(&r, path.c_str()) == 0) return RepositoryPtr(r);
    if (!create) return nullptr;
    std::error_code ec;
    fs::remove_all(path, ec);
    check(git_repository_init(&r, path.c_str(), 1),
          "creating the cache repository " + path.string());
    return RepositoryPtr(r);
  }

  // Brings the object `w` names into `repo` (online) and returns its id (for a
  // tag, the tag object's). Sets *received to the objects downloaded.
  git_oid fetch_ref(git_repository* repo, Connection& c, const Wanted& w, size_t* received) {
    const std::string& shown = c.shown();
    if (w.kind == Wanted::kCommit) {
      if (auto id = local_commit(repo, w.name, shown)) return *id;  // commits never change
      if (is_full_id(w)) {
        git_oid id = parse_oid(w.name);
        std::string advertised;
        for (const auto& [name, oid] : c.heads())
          if (git_oid_equal(&oid, &id) && advertised.empty() &&
              (name.rfind("refs/heads/", 0) == 0 || name.rfind("refs/tags/", 0) == 0))
            advertised = name;
        std::optional<size_t> n;
        if (!advertised.empty())
          n = c.fetch({"+" + advertised + ":" + advertised});
        else  // by id: servers allow it with uploadpack.allowReachableSHA1InWant or protocol v2
          n = c.fetch({"+" + w.name + ":refs/gantry/commits/" + w.name}, true);
        if (n) *received += *n;
        if (have_object(repo, id)) {
          set_ref(repo, "refs/gantry/commits/" + w.name, id);
          return id;
        }
      }
      *received += *c.fetch({"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"});
      if (auto id = local_commit(repo, w.name, shown)) {
        if (is_full_id(w)) set_ref(repo, "refs/gantry/commits/" + w.name, *id);
        return *id;
      }
      throw Error(w.quoted() + " not found in " + shown, ExitCode::kNotFound);
    }

    std::string remote_name = w.kind == Wanted::kDefault ? "HEAD" : w.ref();
    std::optional<git_oid> id = c.find(remote_name, false);
    if (!id)
      throw Error(w.kind == Wanted::kDefault
                      ? "default branch not found in " + shown + " (the repository is empty)"
                      : w.quoted() + " not found in " + shown,
                  ExitCode::kNotFound);
    // The local name the server's ref is mirrored to.
    std::string local = w.ref();
    const std::string& head_branch = c.default_branch();
    if (w.kind == Wanted::kDefault)
      local = head_branch.rfind("refs/heads/", 0) == 0 ? head_branch : kDefaultRef;
    if (!have_object(repo, *id)) {
      std::string src = w.kind == Wanted::kDefault && local != kDefaultRef ? local : remote_name;
      *received += *c.fetch({"+" + src + ":" + local});
      // Over stateless HTTP the ref may have moved since it was listed: take what came.
      if (auto fetched = local_ref(repo, local)) id = fetched;
    }
    set_ref(repo, local, *id);  // also when nothing was fetched: the ref may have moved back
    if (w.kind == Wanted::kDefault && local != kDefaultRef) set_symbolic(repo, kDefaultRef, local);
    return *id;
  }

  // The id `w` has in the cache (offline), or kNotFound.
  git_oid cached_ref(git_repository* repo, const Wanted& w, const std::string& shown) {
    std::optional<git_oid> id;
    if (repo) {
      if (w.kind == Wanted::kCommit)
        id = local_commit(repo, w.name, shown);
      else
        id = local_ref(repo, w.kind == Wanted::kDefault ? kDefaultRef : w.ref());
    }
    if (!id)
      throw Error(w.quoted() + " is not in the cache of " + shown + " (offline)",
                  ExitCode::kNotFound);
    return *id;
  }
};

SourceCache::SourceCache(fs::path root) : impl_(std::make_unique<Impl>()) {
  impl_->root = std::move(root);
}

SourceCache::~SourceCache() = default;

const fs::path& SourceCache::root() const {
  return impl_->root;
}

fs::path SourceCache::repository_path(const std::string& url) const {
  return impl_->repos() / (impl_->key(url) + ".git");
}

FetchedSource SourceCache::fetch(const std::string& url, const SourceRef& ref,
                                 const FetchOptions& options) {
  ensure_libgit2();
  Wanted w = check_ref(ref);
  std::string shown = redact_url(url);
  if (!options.offline) use_ca_file(options.ca_file);
  Impl& im = *impl_;
  std::string key = im.key(url);
  fs::path repo_path = im.repos() / (key + ".git");

  FetchedSource result;
  result.url = shown;
  try {
    fs::create_directories(im.repos());
    UrlLock lock(im.mutex_for(key), im.repos() / (key + ".lock"));
    RepositoryPtr repo = im.open_repo(repo_path, !options.offline);
    git_oid id;
    if (options.offline) {
      id = im.cached_ref(repo.get(), w, shown);
    } else {
      Connection c(url, options, repo.get());
      id = im.fetch_ref(repo.get(), c, w, &result.objects_received);
    }
    CommitPtr commit = peel_to_commit(repo.get(), id, w, shown);
    result.commit = hex(*git_commit_id(commit.get()));
    result.tree = materialise(repo.get(), commit.get(), im.trees());
    record_use(im.repos() / (key + ".used"), result.commit);
  } catch (Error& e) {
    if (e.str().find(shown) == std::string::npos)
      e.add_context("fetching " + w.quoted() + " of " + shown);
    throw;
  } catch (const fs::filesystem_error& e) {
    throw Error("fetching " + w.quoted() + " of " + shown + ": " + e.what(), ExitCode::kExternal);
  }
  return result;
}

std::string SourceCache::resolve(const std::string& url, const SourceRef& ref,
                                 const FetchOptions& options) {
  ensure_libgit2();
  Wanted w = check_ref(ref);
  std::string shown = redact_url(url);
  if (is_full_id(w)) return w.name;
  if (options.offline || w.kind == Wanted::kCommit) {
    if (!options.offline) return fetch(url, ref, options).commit;  // an abbreviated id
    fs::path repo_path = repository_path(url);
    fs::create_directories(impl_->repos());
    UrlLock lock(impl_->mutex_for(impl_->key(url)), impl_->repos() / (impl_->key(url) + ".lock"));
    RepositoryPtr repo = impl_->open_repo(repo_path, false);
    git_oid id = impl_->cached_ref(repo.get(), w, shown);
    return hex(*git_commit_id(peel_to_commit(repo.get(), id, w, shown).get()));
  }
  use_ca_file(options.ca_file);
  try {
    Connection c(url, options, nullptr);
    std::string name = w.kind == Wanted::kDefault ? "HEAD" : w.ref();
    std::optional<git_oid> id = c.find(name, true);
    if (!id)
      throw Error(w.kind == Wanted::kDefault
                      ? "default branch not found in " + shown + " (the repository is empty)"
                      : w.quoted() + " not found in " + shown,
                  ExitCode::kNotFound);
    return hex(*id);
  } catch (Error& e) {
    if (e.str().find(shown) == std::string::npos)
      e.add_context("resolving " + w.quoted() + " of " + shown);
    throw;
  }
}

std::size_t SourceCache::prune_trees(std::size_t keep) {
  Impl& im = *impl_;
  std::set<std::string> used;
  std::error_code ec;
  if (!fs::is_directory(im.trees(), ec)) return 0;
  if (fs::is_directory(im.repos(), ec))
    for (const auto& entry : fs::directory_iterator(im.repos())) {
      if (entry.path().extension() != ".used") continue;
      std::vector<std::string> lines = read_lines(entry.path());
      size_t from = lines.size() > keep ? lines.size() - keep : 0;
      used.insert(lines.begin() + static_cast<std::ptrdiff_t>(from), lines.end());
    }
  std::vector<fs::path> doomed;
  for (const auto& entry : fs::directory_iterator(im.trees())) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || used.count(name)) continue;  // .tmp-*: being written
    doomed.push_back(entry.path());
  }
  for (const auto& p : doomed)
    fs::remove_all(p, ec);
  return doomed.size();
}

}  // namespace gantry::git
