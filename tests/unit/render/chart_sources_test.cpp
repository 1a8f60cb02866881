// The pieces of native chart pulling that need no network: kluctl's
// .helm-charts layout, chart repository indexes and chart archives (made
// here with libarchive's writer, including hostile ones).
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "core/file.h"
#include "doc/yaml.h"
#include "render/chart_archive.h"
#include "render/chart_index.h"
#include "render/chart_pull.h"
#include "render/helm.h"
#include "support/fixtures.h"

namespace gantry::render {
namespace {

namespace fs = std::filesystem;
using testing::error_text;

HelmChart chart(const std::string& repo, const std::string& name, const std::string& version) {
  return parse_helm_chart(doc::parse_yaml("helmChart:\n  repo: " + repo + "\n  chartName: " + name +
                                              "\n  chartVersion: " + version +
                                              "\n  releaseName: r\n",
                                          "helm-chart.yaml"));
}

TEST(ChartLayout, FollowsKluctl) {
  EXPECT_EQ(chart_layout(chart("https://traefik.github.io/charts", "traefik", "20.8.0")),
            "https_traefik.github.io/charts/traefik/20.8.0");
  EXPECT_EQ(chart_layout(chart("https://Charts.Example.COM:443/A/", "x", "1.0.0")),
            "https_charts.example.com/a/x/1.0.0");
  EXPECT_EQ(chart_layout(chart("http://127.0.0.1:8080/charts", "x", "1.0.0")),
            "http_8080_127.0.0.1/charts/x/1.0.0");
  EXPECT_EQ(chart_layout(chart("oci://127.0.0.1:5000/charts/demo", "demo", "1.2.3")),
            "oci_5000_127.0.0.1/charts/demo/1.2.3");
  // oci: chartName may be left out; the older form gives the path and the name apart.
  HelmChart c = parse_helm_chart(doc::parse_yaml(
      "helmChart: {repo: oci://r.io/charts/demo, chartVersion: 1.0.0, releaseName: r}", "f"));
  EXPECT_EQ(c.chart_name, "demo");
  EXPECT_EQ(chart_layout(chart("oci://r.io/charts", "demo", "1.0.0")),
            "oci_r.io/charts/demo/1.0.0");
}

TEST(ChartLayout, RefusesEscapesAndUnknownSchemes) {
  EXPECT_NE(
      error_text([] { chart_layout(chart("https://h/a/../../x", "c", "1.0.0")); }).find("climbs"),
      std::string::npos);
  EXPECT_NE(error_text([] { chart_layout(chart("ftp://h/x", "c", "1.0.0")); }).find("ftp"),
            std::string::npos);
  EXPECT_NE(
      error_text([] { chart_layout(chart("https://h/x", "c", "../1")); }).find("not a version"),
      std::string::npos);
}

TEST(ChartIndex, VersionsUrlsAndDigests) {
  ChartIndex idx = ChartIndex::parse(
      "apiVersion: v1\nentries:\n  demo:\n"
      "  - version: 1.1.0\n    urls: [https://h/demo-1.1.0.tgz]\n"
      "    digest: sha256:" +
          std::string(64, 'A') +
          "\n"
          "  - version: 1.0.0\n    urls: [demo-1.0.0.tgz]\n    digest: " +
          std::string(64, 'b') + "\n  other: []\n",
      "https://h/index.yaml");
  EXPECT_EQ(idx.versions("demo"), (std::vector<std::string>{"1.1.0", "1.0.0"}));
  EXPECT_TRUE(idx.versions("missing").empty());
  const ChartIndexEntry* e = idx.find("demo", "1.1.0");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->digest, std::string(64, 'a'));  // prefix dropped, lower-cased
  EXPECT_EQ(e->urls, (std::vector<std::string>{"https://h/demo-1.1.0.tgz"}));
  EXPECT_EQ(idx.find("demo", "1.0.0")->digest, std::string(64, 'b'));
  EXPECT_EQ(idx.find("demo", "2.0.0"), nullptr);
}

TEST(ChartIndex, MalformedEntriesPointAtTheLine) {
  std::string err = error_text([] {
    ChartIndex::parse("entries:\n  demo:\n  - version: 1.0.0\n    digest: abc\n", "idx.yaml");
  });
  EXPECT_NE(err.find("idx.yaml:4"), std::string::npos) << err;
  EXPECT_NE(err.find("sha256"), std::string::npos) << err;
  err = error_text([] { ChartIndex::parse("entries:\n  demo: {version: 1}\n", "idx.yaml"); });
  EXPECT_NE(err.find("list of versions"), std::string::npos) << err;
  err = error_text([] { ChartIndex::parse("entries:\n  demo:\n  - urls: []\n", "idx.yaml"); });
  EXPECT_NE(err.find("no version"), std::string::npos) << err;
}

struct Entry {
  Entry(std::string p, std::string d, unsigned t = AE_IFREG, std::string l = {})
      : path(std::move(p)), data(std::move(d)), type(t), link(std::move(l)) {}
  std::string path;
  std::string data;
  unsigned type;
  std::string link;
};

// A gzip-compressed tar archive of `entries`, written with libarchive.
std::string make_tgz(const std::vector<Entry>& entries) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  archive_write_open(
      a, &out, nullptr,
      [](archive*, void* client, const void* buf, size_t n) -> la_ssize_t {
        static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  for (const auto& e : entries) {
    archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.path.c_str());
    archive_entry_set_filetype(ae, e.type);
    archive_entry_set_perm(ae, 0644);
    archive_entry_set_size(ae, e.type == AE_IFREG ? static_cast<la_int64_t>(e.data.size()) : 0);
    if (!e.link.empty()) archive_entry_set_symlink(ae, e.link.c_str());
    archive_write_header(a, ae);
    if (e.type == AE_IFREG) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(ae);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

const Entry kChartYaml{"demo/Chart.yaml", "apiVersion: v2\nname: demo\nversion: 1.0.0\n"};

TEST(ChartArchive, ReadsAndWritesWithoutTheTopFolder) {
  ChartArchive c = read_chart_archive(make_tgz(
      {kChartYaml, {"demo/templates", "", AE_IFDIR}, {"demo/templates/a.yaml", "a: 1\n"}}));
  EXPECT_EQ(c.top, "demo");
  ASSERT_EQ(c.files.size(), 2u);
  EXPECT_EQ(c.files[1].path, "templates/a.yaml");
  testing::TempDir dir;
  write_chart_files(c, dir.path() / "out");
  EXPECT_EQ(read_file(dir.path() / "out/Chart.yaml"), kChartYaml.data);
  EXPECT_EQ(read_file(dir.path() / "out/templates/a.yaml"), "a: 1\n");
}

TEST(ChartArchive, RefusesHostileEntries) {
  auto refused = [](const std::vector<Entry>& entries) {
    return error_text([&] { read_chart_archive(make_tgz(entries)); });
  };
  EXPECT_NE(refused({kChartYaml, {"demo/../../etc/evil", "x"}}).find("climbs out"),
            std::string::npos);
  EXPECT_NE(refused({kChartYaml, {"/etc/evil", "x"}}).find("absolute"), std::string::npos);
  EXPECT_NE(
      refused({kChartYaml, {"demo/link", "", AE_IFLNK, "/etc/passwd"}}).find("not a regular file"),
      std::string::npos);
  EXPECT_NE(refused({kChartYaml, {"other/x.yaml", "x"}}).find("not under the chart's folder"),
            std::string::npos);
  EXPECT_NE(refused({{"demo/values.yaml", "x"}}).find("no demo/Chart.yaml"), std::string::npos);
  EXPECT_NE(refused({kChartYaml, kChartYaml}).find("twice"), std::string::npos);
}

TEST(ChartArchive, RefusesOversizeAndCorruptArchives) {
  ArchiveLimits small;
  small.max_file_bytes = 100;
  small.max_total_bytes = 150;
  std::string big(120, 'x');
  std::string err = error_text([&] {
    read_chart_archive(make_tgz({kChartYaml, {"demo/big", big}}), small);
  });
  EXPECT_NE(err.find("larger than 100 bytes"), std::string::npos) << err;
  std::string part(90, 'y');
  err = error_text([&] {
    read_chart_archive(make_tgz({kChartYaml, {"demo/a", part}, {"demo/b", part}}), small);
  });
  EXPECT_NE(err.find("more than 150 bytes"), std::string::npos) << err;
  ArchiveLimits few;
  few.max_entries = 2;
  err = error_text([&] {
    read_chart_archive(make_tgz({kChartYaml, {"demo/a", "a"}, {"demo/b", "b"}}), few);
  });
  EXPECT_NE(err.find("more than 2 entries"), std::string::npos) << err;

  // Incompressible content, so that half of the archive ends inside it.
  std::string noise(20000, '\0');
  uint32_t x = 12345;
  for (char& c : noise) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  std::string tgz = make_tgz({kChartYaml, {"demo/values.yaml", noise}});
  err = error_text([&] { read_chart_archive(tgz.substr(0, tgz.size() / 2)); });
  EXPECT_NE(err.find("chart archive"), std::string::npos) << err;
  err = error_text([] { read_chart_archive("plain text, not an archive"); });
  EXPECT_NE(err.find("chart archive"), std::string::npos) << err;
  err = error_text([] { read_chart_archive(""); });
  EXPECT_NE(err.find("chart archive"), std::string::npos) << err;
}

// Everything pre-pulled: nothing is downloaded, and only folders no item
// uses are removed (never one above a chart in use).
TEST(PullProjectCharts, KeepsWhatIsUsedAndRemovesTheRest) {
  testing::TempDir dir;
  dir.write("web/helm-chart.yaml",
            "helmChart:\n  repo: https://Charts.example.com/stable\n  chartName: demo\n"
            "  chartVersion: 1.0.0\n  releaseName: web\n  namespace: \"{{ ns }}\"\n");
  dir.write("lazy/helm-chart.yml",
            "helmChart:\n  repo: oci://r.io/charts/lazy\n  chartVersion: 2.0.0\n"
            "  releaseName: lazy\n  skipPrePull: true\n");
  const std::string used = ".helm-charts/https_charts.example.com/stable/demo/1.0.0/";
  dir.write(used + "Chart.yaml", "name: demo\nversion: 1.0.0\n");
  dir.write(".helm-charts/https_charts.example.com/stable/demo/Chart.yaml", "odd: true\n");
  dir.write(".helm-charts/https_charts.example.com/stable/demo/0.9.0/Chart.yaml",
            "name: demo\nversion: 0.9.0\n");
  dir.write(".helm-charts/https_old.example.com/x/1.0.0/Chart.yaml", "name: x\n");
  dir.write(".helm-charts/oci_r.io/charts/lazy/2.0.0/Chart.yaml", "name: lazy\n");

  std::vector<ProjectChart> charts = find_project_charts(dir.path());
  ASSERT_EQ(charts.size(), 2u);
  EXPECT_EQ(charts[0].item, "lazy");
  EXPECT_EQ(charts[1].chart.namespace_, "{{ ns }}");  // read without templating

  ChartPuller puller;  // never asked: everything is present or skipped
  PullReport r = pull_project_charts(dir.path(), puller);
  EXPECT_TRUE(r.pulled.empty());
  EXPECT_EQ(r.present, (std::vector<std::string>{"web: demo 1.0.0"}));
  EXPECT_EQ(r.skipped, (std::vector<std::string>{"lazy: lazy 2.0.0"}));
  std::sort(r.removed.begin(), r.removed.end());
  EXPECT_EQ(r.removed, (std::vector<std::string>{"https_charts.example.com/stable/demo/0.9.0",
                                                 "https_old.example.com/x/1.0.0"}));
  EXPECT_TRUE(fs::exists(dir.path() / used / "Chart.yaml"));
  EXPECT_TRUE(fs::exists(dir.path() / ".helm-charts/oci_r.io/charts/lazy/2.0.0/Chart.yaml"));
  EXPECT_FALSE(fs::exists(dir.path() / ".helm-charts/https_old.example.com"));
}

}  // namespace
}  // namespace gantry::render
