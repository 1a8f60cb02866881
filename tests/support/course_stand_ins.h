// Stand-ins for the base images of the course's Dockerfiles
// (examples/course/dockerfiles), made without network: the busybox-static
// root filesystem plus, per image, the users, paths, environment and config
// the Dockerfiles rely on, and the programs they run as small shell scripts:
//
//   golang:1.19-bullseye      go (mod download into the module cache, install,
//                             build -o writing a script that prints the
//                             package's fmt.Println lines), useradd
//   node:20.14-bullseye-slim  user node; npm (set cache, ci/install through the
//                             cache directory, run SCRIPT), node (prints the
//                             script's console.log lines)
//   python:3.12-slim          apt-get (update, install from a local package
//                             directory: curl), curl (serves a local copy of
//                             install.python-poetry.org), python/python3 (prints
//                             print lines; `-` runs the installer), pip install -r
//   nginxinc/nginx-unprivileged:1.23-alpine-perl
//                             user nginx (101), conf.d/default.conf, html,
//                             nginx (prints its listen port, root and index page)
//   migrate/migrate:v4.17.1   migrate (-path DIR up: lists DIR/*.up.sql)
//
// Each is the Dockerfile text after "FROM <busybox base>" and the files to put
// under / (executables get mode 0755).
#pragma once

#include <string>
#include <vector>

namespace gantry::testing {

struct StandInFile {
  std::string path;  // absolute in the image
  std::string content;
  bool executable = false;
};

struct StandIn {
  std::string repository;  // on Docker Hub, e.g. "library/golang"
  std::string tag;
  std::string config;  // Dockerfile instructions after FROM and COPY
  std::vector<StandInFile> files;
};

inline const char* kStandInPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// A stand-in with its own /etc/passwd and /etc/group and a /root.
inline StandIn stand_in(std::string repository, std::string tag, std::string config,
                        std::string passwd = "", std::string group = "") {
  StandIn s{std::move(repository), std::move(tag), std::move(config), {}};
  s.files.push_back({"/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n" + passwd});
  s.files.push_back({"/etc/group", "root:x:0:\n" + group});
  s.files.push_back({"/root/.keep", ""});
  return s;
}

inline std::vector<StandIn> course_stand_ins() {
  std::vector<StandIn> out;

  StandIn go =
      stand_in("library/golang", "1.19-bullseye",
               "ENV PATH=/go/bin:/usr/local/go/bin:" + std::string(kStandInPath) +
                   "\nENV GOLANG_VERSION=1.19.13 GOPATH=/go\nWORKDIR /go\nCMD [\"bash\"]\n");
  go.files.push_back({"/go/bin/.keep", ""});
  go.files.push_back({"/usr/local/go/bin/go", R"SH(#!/bin/sh
# Stand-in for the Go toolchain (no compiler).
set -e
cmd=$1; shift
case "$cmd" in
mod)
  test "$1" = download || { echo "go mod $1: not in the stand-in" >&2; exit 2; }
  test -f go.mod || { echo "go: go.mod file not found" >&2; exit 1; }
  test -f go.sum || { echo "go: go.sum file not found" >&2; exit 1; }
  mkdir -p "$GOPATH/pkg/mod" "$HOME/.cache/go-build"
  for m in $(awk '{print $1 "@" $2}' go.sum | sed 's|/go.mod$||' | sort -u); do
    if test -e "$GOPATH/pkg/mod/$m"; then
      echo "go: found $m in the module cache"
    else
      mkdir -p "$GOPATH/pkg/mod/$m"
      echo "go: downloading $m"
    fi
  done ;;
install)
  mkdir -p "$GOPATH/bin"
  for p in "$@"; do
    n=${p%@*}; n=${n##*/}
    printf '#!/bin/sh\necho "%s (stand-in) $*"\n' "$n" > "$GOPATH/bin/$n"
    chmod 755 "$GOPATH/bin/$n"
    echo "go: installed $p"
  done ;;
build)
  out=; srcs=
  while test $# -gt 0; do
    case "$1" in
      -o) out=$2; shift 2 ;;
      -ldflags|-tags|-gcflags) shift 2 ;;
      -*) shift ;;
      *) srcs="$srcs $1"; shift ;;
    esac
  done
  test -n "$srcs" || srcs=.
  files=
  for s in $srcs; do
    if test -d "$s"; then files="$files $(ls "$s"/*.go)"; else files="$files $s"; fi
  done
  name=$(sed -n 's/^module //p' go.mod); name=${name##*/}
  case "$srcs" in *.go) first=${srcs# }; name=$(basename "${first%% *}" .go) ;; esac
  test -n "$out" || out=$name
  if test -d "$out"; then out="$out/$name"; fi
  { echo '#!/bin/sh'; sed -n 's/^[[:space:]]*fmt\.Println("\(.*\)")$/echo "\1"/p' $files; } > "$out"
  chmod 755 "$out" ;;
*) echo "go $cmd: not in the stand-in" >&2; exit 2 ;;
esac
)SH",
                      true});
  go.files.push_back({"/usr/sbin/useradd", R"SH(#!/bin/sh
# Stand-in for useradd: [-u UID] NAME appends NAME to /etc/passwd and /etc/group.
set -e
uid=1000
while test $# -gt 1; do
  case "$1" in -u) uid=$2; shift 2 ;; *) shift ;; esac
done
name=$1
if grep -q "^$name:" /etc/passwd; then echo "useradd: user '$name' already exists" >&2; exit 9; fi
echo "$name:x:$uid:$uid::/home/$name:/bin/sh" >> /etc/passwd
echo "$name:x:$uid:" >> /etc/group
)SH",
                      true});
  out.push_back(go);

  StandIn node = stand_in(
      "library/node", "20.14-bullseye-slim",
      "ENV PATH=" + std::string(kStandInPath) + "\nENV NODE_VERSION=20.14.0\nCMD [\"node\"]\n",
      "node:x:1000:1000::/home/node:/bin/sh\n", "node:x:1000:\n");
  node.files.push_back({"/home/node/.keep", ""});
  node.files.push_back({"/usr/local/bin/node", R"SH(#!/bin/sh
# Stand-in for node: prints the console.log("...") lines of the script.
test -f "$1" || { echo "node: cannot find module '$1'" >&2; exit 1; }
sed -n 's/^[[:space:]]*console\.log("\(.*\)");\{0,1\}$/\1/p' "$1"
)SH",
                        true});
  node.files.push_back({"/usr/local/bin/npm", R"SH(#!/bin/sh
# Stand-in for npm: set cache DIR, ci / install (package.json's dependencies
# into node_modules through the cache directory), run SCRIPT.
set -e
cache=$(sed -n 's/^cache=//p' "$HOME/.npmrc" 2>/dev/null || true)
test -n "$cache" || cache=$HOME/.npm
deps() {
  awk -v sect="\"$1\":" '$1 == sect {on = 1; next} on && /}/ {on = 0} on {gsub(/[",:]/, "", $1); print $1}' package.json
}
install_deps() {
  rm -rf node_modules
  mkdir -p "$cache" node_modules
  for sect in "$@"; do
    for d in $(deps "$sect"); do
      if test -e "$cache/$d/index.js"; then
        echo "npm: $d from the cache"
      else
        mkdir -p "$cache/$d"
        echo "module.exports = '$d';" > "$cache/$d/index.js"
        echo "npm: $d fetched"
      fi
      mkdir -p "node_modules/$d"
      cp "$cache/$d/index.js" "node_modules/$d/"
    done
  done
}
test -f package.json || { echo "npm: no package.json in $PWD" >&2; exit 254; }
case "$1" in
set) test "$2" = cache; echo "cache=$3" > "$HOME/.npmrc" ;;
ci)
  test -f package-lock.json || { echo "npm ci: needs a package-lock.json" >&2; exit 1; }
  case " $* " in
    *" --only=production "*|*" --omit=dev "*) install_deps dependencies ;;
    *) install_deps dependencies devDependencies ;;
  esac ;;
install) install_deps dependencies devDependencies ;;
run)
  script=$(sed -n "s/^ *\"$2\": \"\(.*\)\",\{0,1\}\$/\1/p" package.json | head -n 1)
  test -n "$script" || { echo "npm run: missing script: $2" >&2; exit 1; }
  echo "> $script"
  PATH=$PWD/node_modules/.bin:$PATH sh -c "$script" ;;
*) echo "npm $1: not in the stand-in" >&2; exit 2 ;;
esac
)SH",
                        true});
  out.push_back(node);

  StandIn py = stand_in("library/python", "3.12-slim",
                        "ENV PATH=" + std::string(kStandInPath) +
                            "\nENV LANG=C.UTF-8 PYTHON_VERSION=3.12.4\nCMD [\"python3\"]\n");
  py.files.push_back({"/usr/bin/apt-get", R"SH(#!/bin/sh
# Stand-in for apt-get: update fills /var/lib/apt/lists; install takes the
# packages from /usr/share/stand-in/debs.
set -e
lists=/var/lib/apt/lists
case "$1" in
update)
  mkdir -p $lists
  echo stand-in > $lists/deb.debian.org_debian_dists_bookworm_InRelease
  echo "Reading package lists... Done" ;;
install)
  shift
  for p in "$@"; do
    case "$p" in -*) continue ;; esac
    test -e $lists/deb.debian.org_debian_dists_bookworm_InRelease || { echo "E: Unable to locate package $p" >&2; exit 100; }
    test -e "/usr/share/stand-in/debs/$p" || { echo "E: Unable to locate package $p" >&2; exit 100; }
    cp "/usr/share/stand-in/debs/$p" "/usr/bin/$p"
    echo "Setting up $p (stand-in) ..."
  done ;;
*) echo "apt-get $1: not in the stand-in" >&2; exit 100 ;;
esac
)SH",
                      true});
  py.files.push_back({"/usr/share/stand-in/debs/curl", R"SH(#!/bin/sh
# Stand-in for curl: URLs are served from /usr/share/stand-in/web/HOST/PATH.
url=
for a in "$@"; do case "$a" in http://*|https://*) url=$a ;; esac; done
f=/usr/share/stand-in/web/${url#*://}
test -f "$f" || { echo "curl: (6) Could not resolve host: ${url#*://}" >&2; exit 6; }
cat "$f"
)SH",
                      true});
  py.files.push_back({"/usr/share/stand-in/web/install.python-poetry.org", R"SH(
# Stand-in for the Poetry installer (run by the stand-in python3 with sh).
set -e
mkdir -p "$HOME/.local/bin"
cat > "$HOME/.local/bin/poetry" <<'POETRY'
#!/bin/sh
# Stand-in for poetry: export [--output FILE] writes poetry.lock's packages as NAME==VERSION.
set -e
test "$1" = export || { echo "poetry $1: not in the stand-in" >&2; exit 1; }
out=/dev/stdout
test "$2" = --output && out=$3
test -f pyproject.toml || { echo "Poetry could not find a pyproject.toml file in $PWD" >&2; exit 1; }
test -f poetry.lock || { echo "poetry.lock not found" >&2; exit 1; }
awk -F' = ' '$1 == "name" {gsub(/"/, "", $2); n = $2} $1 == "version" {gsub(/"/, "", $2); print n "==" $2}' poetry.lock > "$out"
POETRY
chmod 755 "$HOME/.local/bin/poetry"
echo "Poetry (stand-in) is installed now."
)SH"});
  py.files.push_back({"/usr/local/bin/python3", R"SH(#!/bin/sh
# Stand-in for CPython: prints a program's print("...") lines; `python3 -`
# runs the (stand-in, shell) installer read from stdin.
case "$1" in
-) exec sh -s ;;
*)
  test -f "$1" || { echo "python3: can't open file '$1': No such file or directory" >&2; exit 2; }
  sed -n 's/^print("\(.*\)")$/\1/p' "$1" ;;
esac
)SH",
                      true});
  py.files.push_back({"/usr/local/bin/python", "#!/bin/sh\nexec python3 \"$@\"\n", true});
  py.files.push_back({"/usr/local/bin/pip", R"SH(#!/bin/sh
# Stand-in for pip: install -r FILE records each NAME==VERSION in site-packages.
set -e
test "$1" = install || { echo "pip $1: not in the stand-in" >&2; exit 1; }
req=
while test $# -gt 0; do case "$1" in -r) req=$2; shift 2 ;; *) shift ;; esac; done
test -f "$req" || { echo "ERROR: Could not open requirements file: $req" >&2; exit 1; }
site=/usr/local/lib/python3.12/site-packages
installed=
while IFS='=' read -r name _ version; do
  test -n "$name" || continue
  mkdir -p "$site/$name-$version.dist-info"
  echo "$name" > "$site/$name-$version.dist-info/top_level.txt"
  installed="$installed $name-$version"
done < "$req"
echo "Successfully installed$installed"
)SH",
                      true});
  out.push_back(py);

  StandIn nginx =
      stand_in("nginxinc/nginx-unprivileged", "1.23-alpine-perl",
               "ENV PATH=" + std::string(kStandInPath) +
                   "\nENV NGINX_VERSION=1.23.4\nEXPOSE 8080\nSTOPSIGNAL SIGQUIT\n"
                   "USER 101\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\n",
               "nginx:x:101:101:nginx:/var/cache/nginx:/sbin/nologin\n", "nginx:x:101:nginx\n");
  nginx.files.push_back(
      {"/etc/nginx/conf.d/default.conf",
       "server {\n    listen 8080;\n    root /usr/share/nginx/html-default;\n}\n"});
  nginx.files.push_back({"/usr/share/nginx/html/index.html", "Welcome to nginx!\n"});
  nginx.files.push_back({"/usr/sbin/nginx", R"SH(#!/bin/sh
# Stand-in for nginx: reports what it would serve, as which user.
conf=/etc/nginx/conf.d/default.conf
port=$(sed -n 's/^[[:space:]]*listen[[:space:]]*\([0-9]*\).*/\1/p' $conf | head -n 1)
root=$(sed -n 's/^[[:space:]]*root[[:space:]]*\([^;]*\);.*/\1/p' $conf | head -n 1)
echo "nginx (stand-in) as uid $(id -u) $*: listen $port, root $root: $(cat "$root/index.html")"
)SH",
                         true});
  out.push_back(nginx);

  StandIn migrate = stand_in(
      "migrate/migrate", "v4.17.1",
      "ENV PATH=" + std::string(kStandInPath) + "\nENTRYPOINT [\"migrate\"]\nCMD [\"--help\"]\n");
  migrate.files.push_back({"/usr/local/bin/migrate", R"SH(#!/bin/sh
# Stand-in for golang-migrate: -path DIR -database URL up lists DIR/*.up.sql in order.
path=; db=; cmd=
while test $# -gt 0; do
  case "$1" in
    -path) path=$2; shift 2 ;;
    -database) db=$2; shift 2 ;;
    --help|-help) echo "Usage: migrate OPTIONS COMMAND [arg...]"; exit 0 ;;
    *) cmd=$1; shift ;;
  esac
done
test "$cmd" = up && test -n "$db" || { echo "migrate: the stand-in knows -path DIR -database URL up" >&2; exit 1; }
for f in $(ls "$path"/*.up.sql | sort); do echo "$(basename "$f" .up.sql)/u (stand-in)"; done
)SH",
                           true});
  out.push_back(migrate);
  return out;
}

}  // namespace gantry::testing
