// Shared flags and output of the image commands (push, pull, copy, tags, inspect).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "oci/copy.h"
#include "oci/registry.h"

namespace CLI {
class App;
}

namespace gantry::cli {

struct RegistryFlags {
  bool insecure = false;
  std::vector<std::string> insecure_registries;
  std::vector<std::string> registry_mirrors;  // REGISTRY=HOST[/PREFIX] (pulls only)
  bool plain_http = false;
  std::string ca_file;
  std::string authfile;
  std::string creds;       // USER:PASS for the one registry of push/pull/tags/inspect
  std::string src_creds;   // copy
  std::string dest_creds;  // copy
  bool password_stdin = false;
  std::string username;
  int jobs = 4;
  std::string output = "text";
  size_t manifest_limit = oci::kDefaultManifestLimit;
  uint64_t chunk_size = 0;
  int retries = 4;
  int page_size = 0;
  std::string platform;
};

void add_registry_flags(CLI::App* cmd, RegistryFlags& f, bool copy_creds);
oci::Session make_session(const RegistryFlags& f);
// Explicit credentials from --creds / --username + --password-stdin, if any.
std::optional<oci::Credential> flag_credential(const RegistryFlags& f,
                                               const std::string& creds_flag);
bool json_output(const RegistryFlags& f);

// Shows blob transfers: bars on a terminal, one line per step otherwise,
// nothing for -o json.
class Progress {
 public:
  explicit Progress(bool json);
  ~Progress();
  void on_event(const oci::TransferEvent& e);
  void finish();

 private:
  void redraw(bool force);
  struct Item {
    std::string digest;
    int64_t size = 0;
    uint64_t bytes = 0;
    std::string state;  // "copying", "done", "exists", "mounted"
  };
  bool tty_ = false;
  bool quiet_ = false;
  std::vector<Item> items_;
  std::map<std::string, size_t> index_;
  size_t drawn_lines_ = 0;
  std::chrono::steady_clock::time_point last_draw_{};
};

int run_copy_like(const std::string& src, const std::string& dst, const RegistryFlags& f,
                  const char* verb);

// push, pull and copy are one operation (copy SOURCE to DESTINATION) with
// different names, help texts and flags.
struct CopyLikeCommand {
  const char* name;
  const char* description;
  const char* source_help;
  const char* destination_help;
  bool platform_flag;  // --platform: copy one platform of an index
  bool copy_creds;     // --src-creds/--dest-creds as well as --creds
};
void add_copy_like_command(CLI::App& app, Action& action, const CopyLikeCommand& spec);

}  // namespace gantry::cli
