// A Git working repository through libgit2: version tags from history
// (`git describe`), and commits of exactly the files gantry changed.
//
// Every failure is thrown as gantry::Error: kNotFound when there is no
// repository (or no commit, or no matching tag), kInvalidInput when the
// repository is in a state gantry refuses to commit in (a file with other
// uncommitted changes, a detached HEAD without a branch name), kExternal
// when libgit2 itself fails. The libgit2 library is initialised once, on the
// first use of anything in this folder.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct git_index;
struct git_commit;
struct git_tree;

namespace gantry::git {

// What `git describe --tags [--first-parent] [--match GLOB] [--always]` prints.
struct DescribeOptions {
  std::string match;          // glob on the tag name (without refs/tags/); empty: every tag
  bool first_parent = false;  // walk only the first parent of merges
  bool always = true;         // no matching tag: the abbreviated commit id instead of an error
};

// Author and committer of the commits gantry makes.
struct Signature {
  std::string name;
  std::string email;
  // "Name <email>"
  std::string str() const { return name + " <" + email + ">"; }
};

// Parses "Name <email>" (both parts non-empty). Throws Error(kUsage) otherwise.
Signature parse_signature(std::string_view text);

// Expands the placeholders {NAME} of a commit message template from `values`;
// "{{" and "}}" stand for literal braces. Throws Error(kUsage) naming an
// unknown placeholder or an unclosed brace.
std::string expand_message(std::string_view tmpl, const std::map<std::string, std::string>& values);

struct CommitResult {
  bool created = false;  // false: the files were already as committed, nothing was done
  std::string id;        // the new commit's full hex id (empty when !created)
  std::string branch;    // the branch that now points at it ("main")
};

class Repository {
 public:
  // Opens the repository whose working tree contains `path` (searching upward
  // like git does). Throws Error(kNotFound) naming `path` when there is none.
  static Repository open(const std::filesystem::path& path);

  Repository(Repository&&) noexcept;
  Repository& operator=(Repository&&) noexcept;
  ~Repository();
  Repository(const Repository&) = delete;
  Repository& operator=(const Repository&) = delete;

  // The working tree's root directory (absolute). Bare repositories are refused by open().
  const std::filesystem::path& workdir() const;

  // The version of HEAD as `git describe --tags` prints it with these options:
  // TAG, TAG-N-gABBREV, or ABBREV when no tag matches and options.always.
  // The abbreviation is as long as git makes it (core.abbrev, else 7 growing
  // with the object count, always unique). Throws Error(kNotFound) when HEAD
  // has no commit, or when no tag matches and !options.always.
  std::string describe(const DescribeOptions& options) const;

  // HEAD's commit: full id and committer time (seconds since the epoch), and
  // the URL of the remote "origin" (empty when none), or nullopt when HEAD
  // has no commit yet. `gantry build` takes its epoch and labels from it.
  struct HeadCommit {
    std::string id;
    int64_t time = 0;
    std::string origin_url;
  };
  std::optional<HeadCommit> head() const;

  // The branch HEAD is on ("main"), or nullopt when HEAD is detached.
  std::optional<std::string> current_branch() const;

  // user.name and user.email from the repository's and the user's git
  // configuration; "gantry <gantry@localhost>" when either is missing.
  Signature default_signature() const;

  // `path` (absolute or relative to the current directory) relative to the
  // working tree, with '/' separators. Throws Error(kInvalidInput) when it is
  // outside the working tree.
  std::string relative_path(const std::filesystem::path& path) const;

  // Checks, before anything is written, that a commit of `files` can be made:
  // each file is tracked and has no staged or unstaged changes (so the commit
  // will hold gantry's edits only), and `branch` (empty: the current branch)
  // can be committed on — HEAD is not detached unless a branch name is given,
  // and a branch of that name does not exist unless HEAD is on it.
  // Throws Error(kInvalidInput) naming the file or branch.
  void check_can_commit(const std::vector<std::filesystem::path>& files,
                        const std::string& branch) const;

  // Commits the working-tree contents of exactly `files` on top of HEAD (the
  // index's other staged changes are left staged, not committed), with
  // `author` as author and committer. `branch` empty: the current branch
  // moves; otherwise a new branch of that name is created at HEAD and checked
  // out first (the working tree is unchanged by that). The index is updated
  // for `files`. Nothing is done (created == false) when the files equal HEAD.
  CommitResult commit_files(const std::vector<std::filesystem::path>& files,
                            const std::string& message, const Signature& author,
                            const std::string& branch);

  // Commits the working-tree state of `paths` (files or folders: files
  // added, changed and removed below them alike) on top of HEAD on the
  // current branch, with `author` as author and committer; the index follows.
  // Nothing is done (created == false) when they equal HEAD.
  CommitResult commit_paths(const std::vector<std::filesystem::path>& paths,
                            const std::string& message, const Signature& author);

  // Private: the rest of this folder reaches the libgit2 handle through it.
  struct Impl;
  friend struct Access;

 private:
  explicit Repository(std::unique_ptr<Impl> impl);
  // Writes `index` as a commit on `branch` (empty: the current one) unless
  // its tree equals the parent's, then stages `rels` in the repository's index.
  CommitResult finish_commit(git_index* index, const git_commit* parent,
                             const git_tree* parent_tree, const std::vector<std::string>& rels,
                             const std::string& message, const Signature& author,
                             const std::string& branch);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gantry::git
