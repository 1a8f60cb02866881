// Parsed templates (private to src/template).
//
// A template is parsed once into this tree and evaluated by the Renderer
// (runtime.h). Nodes carry the line:column of the token they start at (or
// of their operator), used in error messages.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "doc/value.h"
#include "template/lexer.h"

namespace gantry::tmpl {

struct FilterDef;
struct TestDef;
struct Template;

enum class ExprKind : uint8_t {
  kLiteral,  // literal
  kName,     // name
  kAttr,     // args[0].name
  kIndex,    // args[0][args[1]]
  kSlice,    // args[0][args[1]:args[2]:args[3]] (missing parts are null)
  kList,     // [args...]
  kDict,     // {args[0]: args[1], args[2]: args[3], ...}
  kNeg,      // -args[0]
  kPos,      // +args[0]
  kNot,      // not args[0]
  kBinary,   // args[0] op args[1] (arithmetic and ~)
  kAnd,      // args[0] and args[1]
  kOr,       // args[0] or args[1]
  kCompare,  // args[0] cmps[0] args[1] cmps[1] args[2] ...
  kCond,     // args[1] if args[0] else args[2] (args[2] may be null)
  kFilter,   // args[0] | filter(args[1..], kwargs)
  kTest,     // args[0] is [not] test(args[1..], kwargs)
  kCall,     // args[0](args[1..], kwargs)
};

enum class Cmp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn };

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  Op op = Op::kNone;     // kBinary
  bool negated = false;  // kTest: "is not"
  uint32_t line = 0;
  uint32_t column = 0;
  uint32_t depth = 1;  // height of this subtree (bounded by the parser)
  std::string name;    // kName, kAttr, kFilter, kTest
  doc::Value literal;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<Cmp> cmps;  // kCompare
  const FilterDef* filter = nullptr;
  const TestDef* test = nullptr;
};

enum class StmtKind : uint8_t {
  kText,      // text
  kOutput,    // {{ expr }}
  kIf,        // branches
  kFor,       // {% for targets in expr [if filter] %} body {% else %} else_body
  kSet,       // {% set targets = expr %} / {% set targets[0].attr = expr %}
  kSetBlock,  // {% set targets[0] %} body {% endset %}
  kInclude,   // {% include expr [ignore missing] %}
  kMacro,     // {% macro name(params) %} body {% endmacro %}
  kWith,      // {% with assigns %} body {% endwith %}
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct IfBranch {
  ExprPtr cond;  // null for {% else %}
  Body body;
};

struct MacroParam {
  std::string name;
  ExprPtr default_value;  // may be null
};

struct Stmt {
  StmtKind kind = StmtKind::kText;
  uint32_t line = 0;
  uint32_t column = 0;
  std::string text;  // kText: the text; kMacro: the macro name
  ExprPtr expr;
  ExprPtr filter;                    // kFor: the "if" loop filter
  std::vector<std::string> targets;  // kFor, kSet, kSetBlock
  std::string attr;                  // kSet: "set ns.attr = ..."
  std::vector<IfBranch> branches;    // kIf
  Body body;
  Body else_body;                                        // kFor
  std::vector<MacroParam> params;                        // kMacro
  std::vector<std::pair<std::string, ExprPtr>> assigns;  // kWith
  bool ignore_missing = false;                           // kInclude
  const Template* owner = nullptr;                       // kMacro: the defining template
};

struct Template {
  std::string name;           // file name used in error locations
  std::filesystem::path dir;  // where relative includes are looked up first; empty: nowhere
  std::string key;            // identity for include-cycle detection (absolute path)
  // False when dir and key are still as the caller named them; they are made
  // absolute and canonical only when the template includes something, so
  // rendering a string under a file name costs no file-system calls.
  bool paths_canonical = true;
  Body body;
};

// Parses a whole template. Errors carry name:line:column.
std::shared_ptr<Template> parse_template(std::string_view source, std::string name,
                                         std::filesystem::path dir, std::string key);

// Parses a bare expression (Engine::evaluate). The returned template holds the
// expression as its only statement (a kOutput).
std::shared_ptr<Template> parse_expression(std::string_view source, std::string name);

}  // namespace gantry::tmpl
