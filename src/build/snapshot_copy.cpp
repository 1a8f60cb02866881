#include "build/snapshot_copy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <set>

#include "build/layered_view.h"
#include "build/overlay_form.h"
#include "core/error.h"

namespace gantry::build {
namespace fs = std::filesystem;
namespace {

void set_attrs(const fs::path& to, const struct stat& st) {
  if (::lchown(to.c_str(), st.st_uid, st.st_gid) != 0) {
  }
  if (!S_ISLNK(st.st_mode)) ::chmod(to.c_str(), st.st_mode & 07777);
  struct timespec t[2] = {st.st_atim, st.st_mtim};
  ::utimensat(AT_FDCWD, to.c_str(), t, AT_SYMLINK_NOFOLLOW);
}

// Copies one entry (not a directory's contents) from `from` to `to`.
void copy_entry(const fs::path& from, const struct stat& st, const fs::path& to) {
  std::error_code ec;
  struct stat cur {};
  bool exists = ::lstat(to.c_str(), &cur) == 0;
  if (S_ISDIR(st.st_mode)) {
    if (exists && !S_ISDIR(cur.st_mode)) fs::remove(to, ec), exists = false;
    if (!exists && ::mkdir(to.c_str(), 0700) != 0)
      throw Error("cannot create " + to.string() + ": " + std::strerror(errno),
                  ExitCode::kExternal);
  } else {
    if (exists) fs::remove_all(to, ec);
    if (S_ISREG(st.st_mode)) {
      if (!fs::copy_file(from, to, ec))
        throw Error("cannot copy " + from.string() + ": " + ec.message(), ExitCode::kExternal);
    } else if (S_ISLNK(st.st_mode)) {
      fs::create_symlink(fs::read_symlink(from), to, ec);
    } else if (::mknod(to.c_str(), st.st_mode, st.st_rdev) != 0) {
      throw Error("cannot create " + to.string() + ": " + std::strerror(errno),
                  ExitCode::kExternal);
    }
  }
  set_attrs(to, st);
}

void copy_layer(const fs::path& layer, const fs::path& rel, const fs::path& merged) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(layer / rel, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    fs::path r = rel / it->path().filename();
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    fs::path to = merged / r;
    if (is_whiteout(st)) {
      std::error_code e2;
      fs::remove_all(to, e2);
      continue;
    }
    if (S_ISDIR(st.st_mode) && is_opaque(it->path())) {
      std::error_code e2;
      fs::remove_all(to, e2);
    }
    copy_entry(it->path(), st, to);
    if (S_ISDIR(st.st_mode)) {
      copy_layer(layer, r, merged);
      set_attrs(to, st);  // times again, after the children
    }
  }
}

bool same(const LayeredView::Entry& below, const struct stat& now, const fs::path& now_path) {
  const struct stat& a = below.st;
  if ((a.st_mode & S_IFMT) != (now.st_mode & S_IFMT)) return false;
  if ((a.st_mode & 07777) != (now.st_mode & 07777) || a.st_uid != now.st_uid ||
      a.st_gid != now.st_gid)
    return false;
  if (S_ISREG(a.st_mode))
    return a.st_size == now.st_size && a.st_mtim.tv_sec == now.st_mtim.tv_sec &&
           a.st_mtim.tv_nsec == now.st_mtim.tv_nsec;
  if (S_ISLNK(a.st_mode)) return fs::read_symlink(below.host) == fs::read_symlink(now_path);
  return true;
}

// Creates the parents of `rel` in upper with the attributes they have in merged.
void parents(const fs::path& merged, const fs::path& upper, const fs::path& rel) {
  fs::path r;
  for (const fs::path& part : rel.parent_path()) {
    r /= part;
    fs::path to = upper / r;
    struct stat st {};
    if (::lstat(to.c_str(), &st) == 0) continue;
    struct stat src {};
    if (::lstat((merged / r).c_str(), &src) != 0) src.st_mode = S_IFDIR | 0755;
    ::mkdir(to.c_str(), 0755);
    set_attrs(to, src);
  }
}

using Links = std::map<std::pair<dev_t, ino_t>, fs::path>;

void diff_dir(const LayeredView& view, const fs::path& merged, const fs::path& upper,
              const std::string& image_dir, const fs::path& rel, Links& links) {
  std::set<std::string> present;
  std::error_code ec;
  for (auto it = fs::directory_iterator(merged / rel, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    present.insert(name);
    fs::path r = rel / name;
    std::string image = image_dir == "/" ? "/" + name : image_dir + "/" + name;
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    auto below = view.lookup(image, false);
    bool changed = !below || !same(*below, st, it->path());
    if (changed) {
      parents(merged, upper, r);
      auto key = std::make_pair(st.st_dev, st.st_ino);
      auto link = links.find(key);
      if (S_ISREG(st.st_mode) && st.st_nlink > 1 && link != links.end()) {
        std::error_code e2;
        fs::create_hard_link(link->second, upper / r, e2);  // hard links stay links
      } else {
        copy_entry(it->path(), st, upper / r);
        if (S_ISREG(st.st_mode) && st.st_nlink > 1) links[key] = upper / r;
      }
    }
    if (S_ISDIR(st.st_mode)) {
      if (below && !S_ISDIR(below->st.st_mode)) below.reset();
      if (below)
        diff_dir(view, merged, upper, image, r, links);
      else
        diff_dir(LayeredView({}), merged, upper, image, r, links);  // all new
      if (changed) set_attrs(upper / r, st);
    }
  }
  // What the snapshots have here and merged no longer does.
  for (const std::string& name : view.list(image_dir)) {
    if (present.count(name)) continue;
    fs::path r = rel / name;
    parents(merged, upper, r);
    if (::mknod((upper / r).c_str(), S_IFCHR, makedev(0, 0)) != 0)
      throw Error("cannot record the deletion of " + r.string() + ": " + std::strerror(errno),
                  ExitCode::kExternal);
  }
}

}  // namespace

void copy_snapshots(const std::vector<fs::path>& lowers, const fs::path& merged) {
  fs::create_directories(merged);
  for (const fs::path& layer : lowers)
    copy_layer(layer, "", merged);
}

void diff_into_upper(const std::vector<fs::path>& lowers, const fs::path& merged,
                     const fs::path& upper) {
  LayeredView view(lowers);
  Links links;
  diff_dir(view, merged, upper, "/", "", links);
}

}  // namespace gantry::build
