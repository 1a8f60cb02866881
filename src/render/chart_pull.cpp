#include "render/chart_pull.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "core/base64.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/file.h"
#include "doc/yaml.h"
#include "oci/reference.h"
#include "render/chart_index.h"

namespace gantry::render {

namespace fs = std::filesystem;

namespace {

std::string describe(const HelmChart& chart) {
  return "chart " + chart.chart_name + " " + chart.chart_version + " from " + chart.repo;
}

// HOST[:PORT] and /PATH of an http(s) URL.
std::pair<std::string, std::string> host_and_path(const std::string& url) {
  size_t sep = url.find("://");
  std::string rest = sep == std::string::npos ? url : url.substr(sep + 3);
  size_t slash = rest.find('/');
  if (slash == std::string::npos) return {rest, "/"};
  return {rest.substr(0, slash), rest.substr(slash)};
}

bool path_prefix(const std::string& path, const std::string& prefix) {
  if (prefix.empty() || prefix == "/") return true;
  std::string p = prefix.back() == '/' ? prefix : prefix + "/";
  std::string full = path.back() == '/' ? path : path + "/";
  return full.rfind(p, 0) == 0;
}

std::string trim_slashes(std::string s) {
  while (!s.empty() && s.back() == '/')
    s.pop_back();
  return s;
}

// A fresh folder name beside `dir` for unpacking before the rename.
fs::path temp_beside(const fs::path& dir) {
  static std::atomic<unsigned> counter{0};
  return dir.parent_path() / (".tmp-" + dir.filename().string() + "-" + std::to_string(::getpid()) +
                              "-" + std::to_string(counter++));
}

}  // namespace

struct ChartPuller::Impl {
  ChartPullOptions opts;
  std::mutex mu;
  std::map<std::string, std::shared_ptr<http::Client>> clients;  // by CA file and insecure
  std::map<std::string, ChartIndex> indexes;                     // by repo URL
  std::unique_ptr<oci::Session> session;

  // The credential for `url`: every entry whose HOST[/PATH] matches, the
  // longer matches overriding the fields they set.
  HelmRepoCredential credential_for(const std::string& url) const {
    auto [host, path] = host_and_path(url);
    std::vector<const HelmRepoCredential*> matches;
    for (const auto& c : opts.repos) {
      auto [chost, cpath] = host_and_path("x://" + c.match);
      if (chost == host && path_prefix(path, cpath)) matches.push_back(&c);
    }
    std::stable_sort(matches.begin(), matches.end(), [](const auto* a, const auto* b) {
      return a->match.size() < b->match.size();
    });
    HelmRepoCredential out;
    for (const auto* c : matches) {
      if (!c->username.empty()) out.username = c->username;
      if (!c->password.empty()) out.password = c->password;
      if (!c->ca_file.empty()) out.ca_file = c->ca_file;
      out.insecure = out.insecure || c->insecure;
    }
    return out;
  }

  std::shared_ptr<http::Client> client_for(const HelmRepoCredential& cred) {
    std::string key = cred.ca_file + (cred.insecure ? "\n1" : "\n0");
    auto it = clients.find(key);
    if (it != clients.end()) return it->second;
    http::ClientOptions co;
    if (!cred.ca_file.empty()) co.ca_pem = read_file(cred.ca_file, 4u << 20);
    co.insecure_tls = cred.insecure;
    auto client = std::make_shared<http::Client>(co);
    clients.emplace(key, client);
    return client;
  }

  // GET of a repository URL with the repository's credentials; the
  // Authorization header goes to the repository's host only.
  http::Response get(const std::string& repo, const std::string& url, uint64_t limit) {
    HelmRepoCredential cred = credential_for(repo);
    http::Request req;
    req.url = url;
    req.follow_redirects = true;
    req.max_body_bytes = limit;
    if (!cred.username.empty() && host_and_path(url).first == host_and_path(repo).first)
      req.headers.push_back(
          {"Authorization", "Basic " + base64_encode(cred.username + ":" + cred.password)});
    return client_for(cred)->send(req);
  }

  const ChartIndex& index(const std::string& repo) {
    std::string key = trim_slashes(repo);
    if (auto it = indexes.find(key); it != indexes.end()) return it->second;
    std::string url = key + "/index.yaml";
    http::Response r = get(key, url, 64u << 20);
    if (r.status == 401 || r.status == 403)
      throw Error(Location{url},
                  "the chart repository refused access (HTTP " + std::to_string(r.status) +
                      "); give credentials with --helm-username/--helm-password or "
                      "GANTRY_HELM_USERNAME/GANTRY_HELM_PASSWORD",
                  ExitCode::kExternal);
    if (!r.ok())
      throw Error(Location{url},
                  "fetching the chart index failed: HTTP " + std::to_string(r.status),
                  r.status == 404 ? ExitCode::kNotFound : ExitCode::kExternal);
    return indexes.emplace(key, ChartIndex::parse(r.body, url)).first->second;
  }

  oci::Session& oci_session() {
    if (!session) session = std::make_unique<oci::Session>(opts.oci);
    return *session;
  }

  oci::Reference oci_repository(const HelmChart& chart) {
    return oci::parse_repository(trim_slashes(chart.repo.substr(6)));
  }

  std::string fetch_http(const HelmChart& chart) {
    const ChartIndex& idx = index(chart.repo);
    const ChartIndexEntry* e = idx.find(chart.chart_name, chart.chart_version);
    if (!e) {
      std::vector<std::string> known = idx.versions(chart.chart_name);
      std::string hint = known.empty() ? "the index has no chart of that name"
                                       : "it offers " + std::to_string(known.size()) +
                                             " versions, e.g. " + known.front();
      throw Error(describe(chart) + ": no such version in the repository's index (" + hint + ")",
                  ExitCode::kNotFound);
    }
    if (e->urls.empty())
      throw Error(describe(chart) + ": the index gives no URL for it", ExitCode::kExternal);
    if (e->digest.empty())
      throw Error(describe(chart) +
                      ": the index gives no digest for it, so its download cannot be verified",
                  ExitCode::kExternal);
    std::string url = http::resolve_url(trim_slashes(chart.repo) + "/index.yaml", e->urls.front());
    http::Response r = get(chart.repo, url, opts.limits.max_total_bytes);
    if (!r.ok())
      throw Error(
          Location{url},
          describe(chart) + ": downloading the archive failed: HTTP " + std::to_string(r.status),
          ExitCode::kExternal);
    std::string got = sha256_hex(r.body);
    if (got != e->digest)
      throw Error(Location{url},
                  describe(chart) + ": digest mismatch: the index says sha256:" + e->digest +
                      ", the download is sha256:" + got + "; refusing the archive",
                  ExitCode::kExternal);
    return std::move(r.body);
  }

  std::string fetch_oci(const HelmChart& chart) {
    oci::Reference ref = oci_repository(chart);
    std::string tag = chart.chart_version;
    std::replace(tag.begin(), tag.end(), '+', '_');  // Helm's tag form of build metadata
    oci::Registry& reg = oci_session().registry(ref.api_host());
    std::optional<oci::Manifest> m;
    try {
      m = reg.get_manifest(ref.repository, tag);
    } catch (Error& err) {
      if (err.code() == ExitCode::kNotFound)
        throw Error(describe(chart) + ": no such version in the registry (" + err.what() + ")",
                    ExitCode::kNotFound);
      throw;
    }
    if (m->is_index())
      throw Error(describe(chart) + ": the registry holds an index there, not a Helm chart",
                  ExitCode::kInvalidInput);
    if (m->config.media_type != kHelmConfigMediaType)
      throw Error(describe(chart) + ": not a Helm chart (config media type \"" +
                      m->config.media_type + "\")",
                  ExitCode::kInvalidInput);
    const oci::Descriptor* layer = nullptr;
    for (const auto& l : m->layers)
      if (l.media_type == kHelmChartLayerMediaType) layer = &l;
    if (!layer)
      throw Error(describe(chart) + ": the manifest has no layer of type " +
                      std::string(kHelmChartLayerMediaType),
                  ExitCode::kInvalidInput);
    if (layer->size < 0 || static_cast<uint64_t>(layer->size) > opts.limits.max_total_bytes)
      throw Error(describe(chart) + ": the chart layer is larger than " +
                      std::to_string(opts.limits.max_total_bytes) + " bytes",
                  ExitCode::kInvalidInput);
    std::string data;
    reg.fetch_blob(
        ref.repository, *layer, [&](std::string_view chunk) { data.append(chunk); },
        [&] { data.clear(); });
    return data;
  }
};

ChartPuller::ChartPuller(ChartPullOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->opts = std::move(options);
}

ChartPuller::~ChartPuller() = default;

std::vector<std::string> ChartPuller::versions(const HelmChart& chart) {
  std::lock_guard<std::mutex> g(impl_->mu);
  if (!is_oci(chart)) return impl_->index(chart.repo).versions(chart.chart_name);
  oci::Reference ref = impl_->oci_repository(chart);
  std::vector<std::string> tags =
      impl_->oci_session().registry(ref.api_host()).list_tags(ref.repository);
  for (auto& t : tags)
    std::replace(t.begin(), t.end(), '_', '+');
  return tags;
}

void ChartPuller::pull(const HelmChart& chart, const fs::path& dir) {
  std::lock_guard<std::mutex> g(impl_->mu);
  std::string data = is_oci(chart) ? impl_->fetch_oci(chart) : impl_->fetch_http(chart);
  ChartArchive archive;
  try {
    archive = read_chart_archive(data, impl_->opts.limits);
  } catch (Error& e) {
    e.add_context(describe(chart));
    throw;
  }
  // The archive must hold the chart that was asked for.
  for (const auto& f : archive.files) {
    if (f.path != "Chart.yaml") continue;
    doc::Value meta = doc::parse_yaml(f.data, describe(chart) + ": Chart.yaml");
    std::string name = meta.is_map() ? meta.get_string("name") : "";
    const doc::Value* v = meta.is_map() ? meta.find("version") : nullptr;
    std::string version = v && v->is_string() ? v->as_string() : "";
    if (name != chart.chart_name || version != chart.chart_version)
      throw Error(describe(chart) + ": the archive holds chart " + name + " " + version,
                  ExitCode::kInvalidInput);
  }
  fs::create_directories(dir.parent_path());
  fs::path tmp = temp_beside(dir);
  try {
    write_chart_files(archive, tmp);
    fs::remove_all(dir);
    fs::rename(tmp, dir);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
}

std::vector<ProjectChart> find_project_charts(const fs::path& root) {
  std::vector<ProjectChart> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (it->is_directory() && (name == ".git" || name == ".helm-charts")) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || (name != "helm-chart.yaml" && name != "helm-chart.yml")) continue;
    ProjectChart pc;
    pc.file = it->path();
    pc.item = fs::relative(it->path().parent_path(), root).generic_string();
    pc.chart = parse_helm_chart(doc::parse_yaml(read_file(pc.file), pc.file.string()));
    out.push_back(std::move(pc));
  }
  if (ec) throw Error(Location{root.string()}, "cannot list: " + ec.message());
  std::sort(out.begin(), out.end(),
            [](const ProjectChart& a, const ProjectChart& b) { return a.file < b.file; });
  return out;
}

namespace {

// The version in a pulled chart's Chart.yaml ("" when absent or unreadable).
std::string pulled_version(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / "Chart.yaml", ec)) return "";
  try {
    doc::Value meta = doc::parse_yaml(read_file(dir / "Chart.yaml"), (dir / "Chart.yaml").string());
    const doc::Value* v = meta.is_map() ? meta.find("version") : nullptr;
    return v && v->is_string() ? v->as_string() : "";
  } catch (const Error&) {
    return "";
  }
}

// Removes the folders of `base` holding a Chart.yaml that are not in `keep`,
// then the folders left empty; returns what it removed, relative to `base`.
std::vector<std::string> remove_stale(const fs::path& base, const std::set<fs::path>& keep) {
  std::vector<std::string> removed;
  std::error_code ec;
  if (!fs::is_directory(base, ec)) return removed;
  std::vector<fs::path> stale;
  for (auto it = fs::recursive_directory_iterator(base, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_directory() || it->is_symlink()) continue;
    fs::path p = it->path().lexically_normal();
    // A folder above a kept chart is never removed as a whole.
    auto holds_kept = [&](const fs::path& dir) {
      std::string prefix = dir.generic_string() + "/";
      auto k = keep.lower_bound(dir);
      return k != keep.end() && k->generic_string().rfind(prefix, 0) == 0;
    };
    if (keep.count(p)) {
      it.disable_recursion_pending();
    } else if ((fs::exists(p / "Chart.yaml") || p.filename().string().rfind(".tmp-", 0) == 0) &&
               !holds_kept(p)) {
      stale.push_back(p);
      it.disable_recursion_pending();
    }
  }
  for (const auto& p : stale) {
    fs::remove_all(p);
    removed.push_back(fs::relative(p, base).generic_string());
    for (fs::path parent = p.parent_path(); parent != base && fs::is_empty(parent, ec);
         parent = parent.parent_path())
      fs::remove(parent, ec);
  }
  return removed;
}

}  // namespace

PullReport pull_project_charts(const fs::path& root, ChartPuller& puller, bool force) {
  PullReport report;
  std::set<fs::path> keep;
  for (const auto& pc : find_project_charts(root)) {
    std::string what = pc.item + ": " + pc.chart.chart_name + " " + pc.chart.chart_version;
    try {
      fs::path dir = pulled_chart_dir(root, pc.chart).lexically_normal();
      keep.insert(dir);
      if (pc.chart.skip_prepull) {
        report.skipped.push_back(what);
        continue;
      }
      if (!force && pulled_version(dir) == pc.chart.chart_version) {
        report.present.push_back(what);
        continue;
      }
      puller.pull(pc.chart, dir);
      report.pulled.push_back(what);
    } catch (Error& e) {
      e.add_context("pulling the chart of item " + pc.item);
      throw;
    }
  }
  report.removed = remove_stale((root / ".helm-charts").lexically_normal(), keep);
  return report;
}

}  // namespace gantry::render
