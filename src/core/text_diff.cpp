#include "core/text_diff.h"

#include <algorithm>
#include <vector>

namespace gantry {

namespace {

struct Line {
  std::string_view text;  // without the newline
  bool newline = true;    // false for a last line without '\n'
  bool operator==(const Line& o) const { return text == o.text && newline == o.newline; }
};

std::vector<Line> split(std::string_view s) {
  std::vector<Line> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string_view::npos) {
      out.push_back({s.substr(pos), false});
      break;
    }
    out.push_back({s.substr(pos, nl - pos), true});
    pos = nl + 1;
  }
  return out;
}

enum class Op { kKeep, kDelete, kInsert };

// Myers' greedy algorithm over a[lo..), b[lo..) after the common prefix and
// suffix are taken off; each round's V array (only k in -d..d) is kept for the
// backtrack. Past `kMaxD` rounds the middle is reported as replaced whole,
// which bounds time and memory on unrelated texts.
std::vector<Op> edit_script(const std::vector<Line>& a, const std::vector<Line>& b) {
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre])
    ++pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf])
    ++suf;
  const long n = static_cast<long>(a.size() - pre - suf),
             m = static_cast<long>(b.size() - pre - suf);
  auto A = [&](long i) -> const Line& { return a[pre + static_cast<size_t>(i)]; };
  auto B = [&](long i) -> const Line& { return b[pre + static_cast<size_t>(i)]; };
  constexpr long kMaxD = 1000;
  std::vector<Op> mid;
  std::vector<std::vector<long>> trace;  // trace[d][k + d] = furthest x on diagonal k
  long found_d = -1;
  std::vector<long> prev;
  for (long d = 0; d <= n + m && d <= kMaxD; ++d) {
    std::vector<long> v(static_cast<size_t>(2 * d + 1));
    auto get = [&](long k) { return prev[static_cast<size_t>(k + d - 1)]; };
    for (long k = -d; k <= d; k += 2) {
      long x;
      if (d == 0)
        x = 0;
      else if (k == -d || (k != d && get(k - 1) < get(k + 1)))
        x = get(k + 1);
      else
        x = get(k - 1) + 1;
      long y = x - k;
      while (x < n && y < m && A(x) == B(y)) {
        ++x;
        ++y;
      }
      v[static_cast<size_t>(k + d)] = x;
      if (x >= n && y >= m) found_d = d;
    }
    trace.push_back(v);
    prev = std::move(v);
    if (found_d >= 0) break;
  }
  if (found_d < 0) {
    mid.assign(static_cast<size_t>(n), Op::kDelete);
    mid.insert(mid.end(), static_cast<size_t>(m), Op::kInsert);
  } else {
    long x = n, y = m;
    for (long d = found_d; d > 0; --d) {
      const std::vector<long>& pv = trace[static_cast<size_t>(d - 1)];
      auto get = [&](long k) { return pv[static_cast<size_t>(k + d - 1)]; };
      long k = x - y;
      long prev_k = (k == -d || (k != d && get(k - 1) < get(k + 1))) ? k + 1 : k - 1;
      long prev_x = get(prev_k);
      long prev_y = prev_x - prev_k;
      while (x > prev_x && y > prev_y) {
        mid.push_back(Op::kKeep);
        --x;
        --y;
      }
      mid.push_back(x == prev_x ? Op::kInsert : Op::kDelete);
      x = prev_x;
      y = prev_y;
    }
    while (x > 0 && y > 0) {
      mid.push_back(Op::kKeep);
      --x;
      --y;
    }
    std::reverse(mid.begin(), mid.end());
  }
  std::vector<Op> ops(pre, Op::kKeep);
  ops.insert(ops.end(), mid.begin(), mid.end());
  ops.insert(ops.end(), suf, Op::kKeep);
  // Within each run of changes, deletions first (as diff prints them).
  for (size_t i = 0; i < ops.size();) {
    if (ops[i] == Op::kKeep) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < ops.size() && ops[j] != Op::kKeep)
      ++j;
    std::stable_partition(ops.begin() + static_cast<long>(i), ops.begin() + static_cast<long>(j),
                          [](Op o) { return o == Op::kDelete; });
    i = j;
  }
  return ops;
}

std::string range(size_t first, size_t count) {
  // diff -u prints "start,count"; a count of 1 is omitted, an empty range
  // names the line before it.
  if (count == 1) return std::to_string(first + 1);
  return std::to_string(count == 0 ? first : first + 1) + "," + std::to_string(count);
}

void emit(std::string& out, char mark, const Line& l) {
  out += mark;
  out.append(l.text);
  out += '\n';
  if (!l.newline) out += "\\ No newline at end of file\n";
}

}  // namespace

std::string unified_diff(std::string_view before, std::string_view after,
                         std::string_view before_name, std::string_view after_name,
                         size_t context) {
  if (before == after) return {};
  std::vector<Line> a = split(before), b = split(after);
  std::vector<Op> ops = edit_script(a, b);
  // Positions (in a and b) of each op.
  struct Pos {
    size_t ai, bi;
  };
  std::vector<Pos> pos(ops.size() + 1);
  size_t ai = 0, bi = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    pos[i] = {ai, bi};
    if (ops[i] != Op::kInsert) ++ai;
    if (ops[i] != Op::kDelete) ++bi;
  }
  pos[ops.size()] = {ai, bi};

  std::string out;
  out += "--- ";
  out.append(before_name);
  out += "\n+++ ";
  out.append(after_name);
  out += '\n';
  size_t i = 0;
  while (i < ops.size()) {
    if (ops[i] == Op::kKeep) {
      ++i;
      continue;
    }
    // A hunk: from `context` keeps before the change to `context` keeps after
    // the last change that is at most 2*context keeps away from the next.
    size_t start = i >= context ? i - context : 0;
    while (start < i && ops[start] != Op::kKeep)
      ++start;
    size_t end = i;
    for (;;) {
      while (end < ops.size() && ops[end] != Op::kKeep)
        ++end;
      size_t keeps = 0;
      while (end + keeps < ops.size() && ops[end + keeps] == Op::kKeep)
        ++keeps;
      if (end + keeps < ops.size() && keeps <= 2 * context) {
        end += keeps;
        continue;
      }
      end += std::min(keeps, context);
      break;
    }
    size_t a_count = pos[end].ai - pos[start].ai, b_count = pos[end].bi - pos[start].bi;
    out += "@@ -" + range(pos[start].ai, a_count) + " +" + range(pos[start].bi, b_count) + " @@\n";
    for (size_t k = start; k < end; ++k) {
      if (ops[k] == Op::kKeep)
        emit(out, ' ', a[pos[k].ai]);
      else if (ops[k] == Op::kDelete)
        emit(out, '-', a[pos[k].ai]);
      else
        emit(out, '+', b[pos[k].bi]);
    }
    i = end;
  }
  return out;
}

}  // namespace gantry
