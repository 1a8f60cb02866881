#include "git/remote.h"

#include <cctype>
#include <fstream>
#include <vector>

#include "core/error.h"
#include "git/internal.h"
#include "git/known_hosts.h"

namespace gantry::git {

namespace fs = std::filesystem;

namespace {

// Host and port of an ssh URL (ssh://[user@]host[:port]/path or scp-like [user@]host:path).
struct Endpoint {
  std::string host;
  int port = 22;
};

Endpoint ssh_endpoint(const std::string& url) {
  Endpoint ep;
  std::string rest = url;
  size_t scheme = rest.find("://");
  bool scp = scheme == std::string::npos;
  if (!scp) rest = rest.substr(scheme + 3);
  size_t at = rest.find('@');
  size_t slash = rest.find('/');
  if (at != std::string::npos && (slash == std::string::npos || at < slash))
    rest = rest.substr(at + 1);
  std::string hostport;
  if (!rest.empty() && rest[0] == '[') {
    size_t close = rest.find(']');
    ep.host = rest.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    hostport = close == std::string::npos ? "" : rest.substr(close + 1);
  } else {
    size_t end = scp ? rest.find(':') : rest.find_first_of(":/");
    ep.host = rest.substr(0, end);
    hostport = end == std::string::npos ? "" : rest.substr(end);
  }
  if (!scp && hostport.size() > 1 && hostport[0] == ':') {
    size_t end = hostport.find('/');
    std::string port = hostport.substr(1, end == std::string::npos ? std::string::npos : end - 1);
    if (!port.empty() && port.find_first_not_of("0123456789") == std::string::npos)
      ep.port = std::stoi(port);
  }
  return ep;
}

fs::path default_known_hosts() {
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : "/") / ".ssh" / "known_hosts";
}

int credentials_cb(git_credential** out, const char* /*url*/, const char* username_from_url,
                   unsigned int allowed, void* payload) {
  auto& s = *static_cast<Session*>(payload);
  const Credentials& c = *s.creds;
  std::string user_from_url = username_from_url ? username_from_url : "";
  if (allowed & (GIT_CREDENTIAL_SSH_KEY | GIT_CREDENTIAL_USERNAME)) {
    std::string user = !user_from_url.empty() ? user_from_url
                       : !c.username.empty()  ? c.username
                                              : "git";
    if (allowed & GIT_CREDENTIAL_SSH_KEY) {
      if (c.ssh_key.empty()) {
        s.problem = "the server asks for an ssh key and none was given";
        s.refused_credentials = true;
        return GIT_EAUTH;
      }
      fs::path pub = c.ssh_key.string() + ".pub";
      std::error_code ec;
      bool have_pub = fs::exists(pub, ec);
      if (s.ssh_tries++ > 0) {
        s.problem = "the server refused the ssh key " + c.ssh_key.string() + " for user " + user;
        std::ifstream in(pub);
        std::string type;
        if (have_pub && in >> type && type == "ssh-rsa")
          s.problem +=
              " (libssh2 signs RSA keys with SHA-1, which OpenSSH 8.8 and later refuse; use an "
              "ed25519 or ECDSA key)";
        s.refused_credentials = true;
        return GIT_EAUTH;
      }
      return git_credential_ssh_key_new(out, user.c_str(), have_pub ? pub.c_str() : nullptr,
                                        c.ssh_key.c_str(), c.ssh_passphrase.c_str());
    }
    return git_credential_username_new(out, user.c_str());
  }
  if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
    std::string user = !c.username.empty()      ? c.username
                       : !user_from_url.empty() ? user_from_url
                                                : "x-access-token";
    if (c.password.empty()) {
      s.problem = redact_url(s.url) != s.url
                      ? "the server refused the credentials in the remote's URL"
                      : "the server asks for credentials and none were given";
      s.refused_credentials = true;
      return GIT_EAUTH;
    }
    if (s.userpass_tries++ > 0) {
      s.problem = "the server refused the credentials of user " + user;
      s.refused_credentials = true;
      return GIT_EAUTH;
    }
    return git_credential_userpass_plaintext_new(out, user.c_str(), c.password.c_str());
  }
  s.problem = "the server asks for an authentication method gantry does not support";
  s.refused_credentials = true;
  return GIT_EAUTH;
}

int certificate_cb(git_cert* cert, int /*valid*/, const char* host, void* payload) {
  auto& s = *static_cast<Session*>(payload);
  if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return GIT_PASSTHROUGH;  // TLS: libgit2 checks
  auto* hk = reinterpret_cast<git_cert_hostkey*>(cert);
  if (!(hk->type & GIT_CERT_SSH_RAW)) {
    s.problem = "the ssh host key cannot be checked (libgit2 did not pass it on)";
    return GIT_ECERTIFICATE;
  }
  Endpoint ep = ssh_endpoint(s.url);
  if (ep.host.empty() && host) ep.host = host;
  fs::path file = s.creds->known_hosts.empty() ? default_known_hosts() : s.creds->known_hosts;
  HostKeyCheck c;
  try {
    c = check_host_key_file(file, ep.host, ep.port, std::string_view(hk->hostkey, hk->hostkey_len));
  } catch (const Error& e) {
    s.problem = e.str();
    return GIT_ECERTIFICATE;
  }
  std::string who = ep.port == 22 ? ep.host : "[" + ep.host + "]:" + std::to_string(ep.port);
  std::string key = c.key_type + " key " + c.fingerprint;
  switch (c.status) {
    case HostKeyStatus::kMatch:
      return 0;
    case HostKeyStatus::kUnknown:
      s.problem = "host " + who + " is not in " + file.string() + " (it presented the " + key +
                  "); add its key there after checking the fingerprint";
      break;
    case HostKeyStatus::kMismatch:
      s.problem = "the host key of " + who + " does not match " + file.string() +
                  " (it presented the " + key +
                  "); someone may be intercepting the connection, or the key changed";
      break;
    case HostKeyStatus::kRevoked:
      s.problem = "host " + who + " presented the revoked " + key;
      break;
  }
  return GIT_ECERTIFICATE;
}

int push_update_cb(const char* refname, const char* status, void* payload) {
  auto& s = *static_cast<Session*>(payload);
  if (status) s.rejected.push_back(std::string(refname) + ": " + status);
  return 0;
}

}  // namespace

git_remote_callbacks callbacks(Session& s) {
  git_remote_callbacks cb;
  git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
  cb.credentials = credentials_cb;
  cb.certificate_check = certificate_cb;
  cb.push_update_reference = push_update_cb;
  cb.payload = &s;
  return cb;
}

// Replaces every secret of `c` in `text` with "***" and strips URL user info.
std::string scrub(std::string text, const Credentials& c) {
  text = redact_url(text);
  for (const std::string* secret : {&c.password, &c.ssh_passphrase}) {
    if (secret->empty()) continue;
    for (size_t p = text.find(*secret); p != std::string::npos; p = text.find(*secret, p + 3))
      text.replace(p, secret->size(), "***");
  }
  return text;
}

void use_ca_file(const fs::path& ca_file) {
  if (ca_file.empty()) return;
  ensure_libgit2();
  std::error_code ec;
  if (!fs::is_regular_file(ca_file, ec))
    throw Error(Location{ca_file.string()}, "CA file not found", ExitCode::kNotFound);
  check(git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, ca_file.c_str(), nullptr),
        "reading the CA file " + ca_file.string(), ExitCode::kInvalidInput);
}

namespace {

class Pusher {
 public:
  Pusher(Repository& repo, const PushOptions& o) : repo_(repo), o_(o) {
    raw_ = Access::raw(repo);
    branch_ = o.branch.empty() ? repo.current_branch().value_or("") : o.branch;
    if (branch_.empty())
      throw Error("HEAD is detached: give --branch NAME to push", ExitCode::kInvalidInput);
    git_remote* r = nullptr;
    if (git_remote_lookup(&r, raw_, o.remote.c_str()) < 0)
      throw Error("no remote '" + o.remote + "' in the repository: " + last_error_message(),
                  ExitCode::kNotFound);
    remote_.reset(r);
    const char* url = git_remote_pushurl(r) ? git_remote_pushurl(r) : git_remote_url(r);
    url_ = url ? url : "";
    shown_ = redact_url(url_);
  }

  PushResult run() {
    PushResult result{shown_, branch_, "", false};
    if (!push_once()) {
      if (!non_fast_forward_) fail("pushing " + branch_ + " to " + shown_);
      fetch();
      if (!reapply()) {
        result.rebased = true;
        result.commit = tip(local_ref());
        return result;
      }
      result.rebased = true;
      if (!push_once()) {
        if (non_fast_forward_)
          throw Error("pushing " + branch_ + " to " + shown_ +
                          ": the remote branch moved again while our commit was re-applied; "
                          "run gantry again",
                      ExitCode::kExternal);
        fail("pushing " + branch_ + " to " + shown_ + " (after re-applying onto the remote tip)");
      }
    }
    result.commit = tip(local_ref());
    return result;
  }

 private:
  std::string local_ref() const { return "refs/heads/" + branch_; }
  std::string tracking_ref() const { return "refs/remotes/" + o_.remote + "/" + branch_; }

  void new_session() {
    session_ = Session();
    session_.creds = &o_.credentials;
    session_.url = url_;
  }

  // Pushes; false when the remote refused (non_fast_forward_ says why) or failed.
  bool push_once() {
    new_session();
    non_fast_forward_ = false;
    git_push_options opts;
    git_push_options_init(&opts, GIT_PUSH_OPTIONS_VERSION);
    opts.callbacks = callbacks(session_);
    std::string spec = local_ref() + ":" + local_ref();
    char* specs[] = {spec.data()};
    git_strarray refspecs{specs, 1};
    rc_ = git_remote_push(remote_.get(), &refspecs, &opts);
    message_ = rc_ < 0 ? last_error_message() : "";
    if (rc_ == GIT_ENONFASTFORWARD) non_fast_forward_ = true;
    for (const auto& r : session_.rejected)
      if (r.find("fast-forward") != std::string::npos || r.find("fetch first") != std::string::npos)
        non_fast_forward_ = true;
    return rc_ == 0 && session_.rejected.empty();
  }

  [[noreturn]] void fail(const std::string& what) {
    std::string why;
    if (!session_.problem.empty())
      why = session_.problem;
    else if (!session_.rejected.empty())
      why = "the remote refused " + session_.rejected.front();
    else
      why = message_;
    throw Error(scrub(what + ": " + why, o_.credentials), ExitCode::kExternal);
  }

  void fetch() {
    new_session();
    git_fetch_options opts;
    git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
    opts.callbacks = callbacks(session_);
    std::string spec = "+" + local_ref() + ":" + tracking_ref();
    char* specs[] = {spec.data()};
    git_strarray refspecs{specs, 1};
    rc_ = git_remote_fetch(remote_.get(), &refspecs, &opts, "gantry: fetch before re-applying");
    if (rc_ < 0) {
      message_ = last_error_message();
      fail("fetching " + branch_ + " from " + shown_);
    }
  }

  std::string tip(const std::string& ref) const {
    git_oid id;
    check(git_reference_name_to_id(&id, raw_, ref.c_str()), "reading " + ref);
    return hex(id);
  }

  CommitPtr commit_at(const std::string& ref) const {
    git_oid id;
    check(git_reference_name_to_id(&id, raw_, ref.c_str()), "reading " + ref);
    git_commit* c = nullptr;
    check(git_commit_lookup(&c, raw_, &id), "reading the commit of " + ref);
    return CommitPtr(c);
  }

  // Re-applies our last commit onto the fetched remote tip and moves the local
  // branch (and the working tree when it is checked out) there. False when the
  // remote already holds the same content, so there is nothing left to push.
  bool reapply() {
    CommitPtr ours = commit_at(local_ref());
    CommitPtr theirs = commit_at(tracking_ref());
    if (git_commit_parentcount(ours.get()) != 1)
      throw Error("cannot re-apply " + hex(*git_commit_id(ours.get())) +
                      " onto the remote tip: it is not a single-parent commit",
                  ExitCode::kInvalidInput);
    git_index* raw_index = nullptr;
    check(git_cherrypick_commit(&raw_index, raw_, ours.get(), theirs.get(), 0, nullptr),
          "re-applying our commit onto " + tracking_ref());
    IndexPtr index(raw_index);
    if (git_index_has_conflicts(index.get())) {
      std::string paths;
      git_index_conflict_iterator* it = nullptr;
      if (git_index_conflict_iterator_new(&it, index.get()) == 0) {
        const git_index_entry *a, *o, *t;
        while (git_index_conflict_next(&a, &o, &t, it) == 0) {
          const git_index_entry* e = o ? o : t ? t : a;
          if (e) paths += (paths.empty() ? "" : ", ") + std::string(e->path);
        }
        git_index_conflict_iterator_free(it);
      }
      throw Error("the remote branch " + branch_ + " at " + shown_ +
                      " changed the same lines as our commit (" + paths +
                      "); nothing was pushed; update from the remote and run gantry again",
                  ExitCode::kInvalidInput);
    }
    git_oid tree_id;
    check(git_index_write_tree_to(&tree_id, index.get(), raw_), "writing the re-applied tree");
    git_oid new_id;
    bool same = git_oid_equal(&tree_id, git_commit_tree_id(theirs.get()));
    if (same) {
      git_oid_cpy(&new_id, git_commit_id(theirs.get()));
    } else {
      git_tree* raw_tree = nullptr;
      check(git_tree_lookup(&raw_tree, raw_, &tree_id), "reading the re-applied tree");
      TreePtr tree(raw_tree);
      const git_signature* c = git_commit_committer(ours.get());
      git_signature* raw_sig = nullptr;
      check(git_signature_now(&raw_sig, c->name, c->email), "committer");
      SignaturePtr committer(raw_sig);
      const git_commit* parents[] = {theirs.get()};
      check(git_commit_create(&new_id, raw_, nullptr, git_commit_author(ours.get()),
                              committer.get(), git_commit_message_encoding(ours.get()),
                              git_commit_message(ours.get()), tree.get(), 1, parents),
            "committing the re-applied change");
    }
    if (repo_.current_branch() == branch_) {
      git_object* target = nullptr;
      check(git_object_lookup(&target, raw_, &new_id, GIT_OBJECT_COMMIT), "reading the commit");
      ObjectPtr obj(target);
      git_checkout_options co;
      git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
      co.checkout_strategy = GIT_CHECKOUT_SAFE;
      check(git_checkout_tree(raw_, obj.get(), &co),
            "updating the working tree to the remote's changes", ExitCode::kInvalidInput);
    }
    git_reference* raw_ref = nullptr;
    check(git_reference_create(&raw_ref, raw_, local_ref().c_str(), &new_id, 1,
                               "gantry: re-applied onto the remote tip"),
          "moving " + local_ref());
    ReferencePtr moved(raw_ref);
    return !same;
  }

  Repository& repo_;
  const PushOptions& o_;
  git_repository* raw_ = nullptr;
  RemotePtr remote_;
  std::string branch_, url_, shown_;
  Session session_;
  int rc_ = 0;
  std::string message_;
  bool non_fast_forward_ = false;
};

}  // namespace

PushResult push(Repository& repo, const PushOptions& options) {
  ensure_libgit2();
  use_ca_file(options.ca_file);
  Pusher p(repo, options);
  return p.run();
}

}  // namespace gantry::git
