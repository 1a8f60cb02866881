#include "cli/update_git.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <map>

#include "cli/git_flags.h"
#include "core/error.h"
#include "git/remote.h"
#include "git/repository.h"

namespace gantry::cli {

namespace fs = std::filesystem;

void add_update_git_flags(CLI::App* cmd, UpdateGitFlags& f) {
  const char* group = "Commit and push";
  CLI::Option* commit =
      cmd->add_flag("--commit", f.commit, "Commit the changed files (nothing when nothing changed)")
          ->group(group);
  cmd->add_option("--message", f.message,
                  "Commit message template; placeholders {changes} {files} {values} {count}")
      ->needs(commit)
      ->group(group);
  cmd->add_option("--author", f.author,
                  "\"Name <email>\" of the commit (default: git config user.name/user.email)")
      ->needs(commit)
      ->group(group);
  cmd->add_option("--branch", f.branch,
                  "Commit on a new branch NAME made from HEAD (for a pull request)")
      ->needs(commit)
      ->group(group);
  CLI::Option* push =
      cmd->add_flag("--push", f.push, "Push the commit to the remote's branch of the same name")
          ->needs(commit)
          ->group(group);
  cmd->add_option("--remote", f.remote, "Remote to push to (default: origin)")
      ->needs(push)
      ->group(group);
  cmd->add_option("--ssh-key", f.ssh_key,
                  "Private key file for ssh remotes (or GANTRY_GIT_SSH_KEY)")
      ->needs(push)
      ->group(group);
  cmd->add_option("--known-hosts", f.known_hosts,
                  "known_hosts file for ssh remotes (or GANTRY_GIT_KNOWN_HOSTS; default "
                  "~/.ssh/known_hosts)")
      ->needs(push)
      ->group(group);
  cmd->add_option(
         "--git-ca-file", f.ca_file,
         "PEM CAs trusted for https remotes instead of the system's (or GANTRY_GIT_CA_FILE)")
      ->needs(push)
      ->group(group);
}

namespace {

class GitPublisher : public UpdatePublisher {
 public:
  GitPublisher(const UpdateGitFlags& f, git::Repository repo, const automation::UpdatePlan& plan)
      : f_(f), repo_(std::move(repo)) {
    author_ = f.author.empty() ? repo_.default_signature() : git::parse_signature(f.author);
    for (const auto& file : plan.files)
      files_.push_back(file.path);
    repo_.check_can_commit(files_, f.branch);
    message(plan);  // a bad template is refused before anything is written
  }

  void publish(const automation::UpdatePlan& plan) override {
    git::CommitResult c;
    try {
      c = repo_.commit_files(files_, message(plan), author_, f_.branch);
    } catch (Error& e) {
      e.add_context("the files are updated but not committed");
      throw;
    }
    if (!c.created) {
      std::cout << "nothing to commit\n";
      return;
    }
    std::cout << "committed " << c.id.substr(0, 12) << " on " << c.branch << "\n";
    if (!f_.push) return;
    git::PushOptions o;
    o.remote = f_.remote;
    o.branch = c.branch;
    o.credentials = git_credentials(f_.ssh_key, f_.known_hosts);
    o.ca_file = git_ca_file(f_.ca_file);
    git::PushResult p = git::push(repo_, o);
    std::cout << "pushed " << p.branch << " to " << p.url << " (" << p.commit.substr(0, 12) << ")"
              << (p.rebased ? ", re-applied onto the remote's newer commits" : "") << "\n";
  }

 private:
  std::string message(const automation::UpdatePlan& plan) const {
    return git::expand_message(f_.message.empty() ? automation::kDefaultUpdateMessage : f_.message,
                               automation::message_values(plan, [&](const std::string& p) {
                                 return repo_.relative_path(p);
                               }));
  }

  const UpdateGitFlags& f_;
  git::Repository repo_;
  git::Signature author_;
  std::vector<fs::path> files_;
};

}  // namespace

std::unique_ptr<UpdatePublisher> prepare_publisher(const UpdateGitFlags& f, const std::string& dir,
                                                   const automation::UpdatePlan& plan) {
  if (!f.commit) return nullptr;
  return std::make_unique<GitPublisher>(f, git::Repository::open(dir), plan);
}

}  // namespace gantry::cli
