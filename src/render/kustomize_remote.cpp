#include "render/kustomize_remote.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "core/url.h"

namespace gantry::render {

namespace {

bool is_hex_id(const std::string& s) {
  return s.size() >= 4 && s.size() <= 40 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c));
         });
}

}  // namespace

KustomizeRemote::KustomizeRemote(project::GitSources& git, bool offline)
    : git_(git), offline_(offline) {}

kustomize::RemoteFile KustomizeRemote::get(const std::string& url) {
  if (offline_) throw Error("not fetched: offline", ExitCode::kNotFound);
  http::Request req;
  req.url = url;
  req.follow_redirects = true;
  req.retry = false;
  http::Response res = http_.send(req);
  return kustomize::RemoteFile{res.status, std::move(res.body)};
}

std::filesystem::path KustomizeRemote::fetch(const kustomize::RepoSpec& spec) {
  project::GitItem item;
  item.url = spec.clone_url();
  item.what = "repository";
  item.ref.name = spec.ref;
  try {
    return git_.fetch(item).root;
  } catch (const Error& e) {
    if (e.code() != ExitCode::kNotFound || !is_hex_id(spec.ref)) throw;
  }
  // kustomize fetches any ref git accepts, commit ids included.
  item.ref = project::GitItemRef{};
  item.ref.ref.commit = spec.ref;
  return git_.fetch(item).root;
}

}  // namespace gantry::render
