// gantry update --commit/--push: the flags, and committing and pushing the
// files an update changed through git/.
#pragma once

#include <memory>
#include <string>

#include "automation/update.h"

namespace CLI {
class App;
}

namespace gantry::cli {

struct UpdateGitFlags {
  bool commit = false;
  std::string message;  // template; empty: the default
  std::string author;   // "Name <email>"; empty: git config, else gantry <gantry@localhost>
  bool push = false;
  std::string branch;  // empty: the current branch
  std::string remote = "origin";
  std::string ssh_key;      // else GANTRY_GIT_SSH_KEY
  std::string known_hosts;  // else GANTRY_GIT_KNOWN_HOSTS, else ~/.ssh/known_hosts
  std::string ca_file;      // else GANTRY_GIT_CA_FILE, else the system's CAs
};

// Adds --commit, --message, --author, --push, --branch, --remote, --ssh-key,
// --known-hosts and --ca-file to `cmd`.
void add_update_git_flags(CLI::App* cmd, UpdateGitFlags& f);

class UpdatePublisher {
 public:
  virtual ~UpdatePublisher() = default;
  // Commits the planned files (already written) and pushes when asked;
  // prints what it did on stdout.
  virtual void publish(const automation::UpdatePlan& plan) = 0;
};

// Null without --commit. Otherwise opens the repository holding `dir` and
// checks that the planned files can be committed (tracked, no other
// changes), the message template and author are valid, so that the caller
// writes nothing when the commit would be refused.
std::unique_ptr<UpdatePublisher> prepare_publisher(const UpdateGitFlags& f, const std::string& dir,
                                                   const automation::UpdatePlan& plan);

}  // namespace gantry::cli
