// SHA-256 throughput of gantry's digest code (oci::Hasher, fed 1 MiB updates
// as blob transfers feed it), on one core. Two measurements:
//  - hot: the same 1 MiB chunk hashed repeatedly (in a transfer each received
//    chunk is hashed right away, while it is in cache), comparable with
//    `openssl speed -evp sha256 -bytes 1048576`;
//  - cold: a buffer of N MiB streamed from main memory.
// Reported per CPU-second of the hashing thread (as `openssl speed` does) and
// per wall-clock second (lower when other processes share the core).
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "oci/digest.h"

namespace {

double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Result {
  double cpu_gbps = 0, wall_gbps = 0;
};

// Hashes `total` bytes taken from `buf` in 1 MiB updates; best of 5.
Result run(const std::string& buf, size_t total) {
  Result best;
  for (int rep = 0; rep < 5; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    double c0 = cpu_now();
    gantry::oci::Hasher h;
    size_t off = 0;
    for (size_t done = 0; done < total; done += 1 << 20) {
      h.update(std::string_view(buf).substr(off, 1 << 20));
      off += 1 << 20;
      if (off >= buf.size()) off = 0;
    }
    h.finish();
    double cpu = cpu_now() - c0;
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best.cpu_gbps = std::max(best.cpu_gbps, static_cast<double>(total) / cpu / 1e9);
    best.wall_gbps = std::max(best.wall_gbps, static_cast<double>(total) / wall / 1e9);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 512;
  std::string buf(mib << 20, '\0');
  std::mt19937_64 rng(42);
  for (size_t i = 0; i + 8 <= buf.size(); i += 8) {
    uint64_t v = rng();
    std::memcpy(&buf[i], &v, 8);
  }
  Result hot = run(buf.substr(0, 1 << 20), mib << 20);
  Result cold = run(buf, mib << 20);
  std::printf(
      "sha256 hot  (1 MiB chunk, %zu MiB hashed): %.2f GB/s per CPU-second, %.2f GB/s wall clock\n",
      mib, hot.cpu_gbps, hot.wall_gbps);
  std::printf(
      "sha256 cold (%zu MiB from memory):         %.2f GB/s per CPU-second, %.2f GB/s wall clock\n",
      mib, cold.cpu_gbps, cold.wall_gbps);
  return 0;
}
