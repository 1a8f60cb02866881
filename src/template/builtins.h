// Built-in filters, tests, methods and global functions (private to src/template).
#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace gantry::tmpl {

class Renderer;
class Val;
struct Expr;

struct CallArgs {
  std::vector<Val> pos;
  std::vector<std::pair<std::string_view, Val>> kw;
};

// `input` is the value left of the '|'; `at` is the filter node (for errors).
using FilterFn = Val (*)(Renderer& r, const Expr& at, Val& input, CallArgs& args);
using TestFn = bool (*)(Renderer& r, const Expr& at, const Val& v, CallArgs& args);
using GlobalFn = Val (*)(Renderer& r, const Expr& at, CallArgs& args);

struct FilterDef {
  std::string_view name;
  FilterFn fn;
  bool accepts_undefined;  // else an undefined input is an error before the call
};

struct TestDef {
  std::string_view name;
  TestFn fn;
  bool accepts_undefined;  // else an undefined input is an error before the call
};

// nullptr when there is no such filter / test / global function.
const FilterDef* find_filter(std::string_view name);
const TestDef* find_test(std::string_view name);
GlobalFn find_global(std::string_view name);

// All names, for error hints and documentation tests.
std::vector<std::string_view> filter_names();
std::vector<std::string_view> test_names();

// obj.name(args): string, map, list and loop methods.
Val call_method(Renderer& r, const Expr& at, Val& obj, std::string_view name, CallArgs& args);

}  // namespace gantry::tmpl
