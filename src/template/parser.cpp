// Recursive-descent parser following Python Jinja2's grammar and precedence:
//
//   expression := or ["if" or ["else" expression]]
//   or := and ("or" and)*          and := not ("and" not)*
//   not := "not" not | compare     compare := math1 ((== != < <= > >= in "not in") math1)*
//   math1 := concat ((+ -) concat)*       concat := math2 ("~" math2)*
//   math2 := pow ((* / // %) pow)*        pow := unary ("**" unary)*
//   unary := ("-" | "+") unary | primary postfix* ; then filters/tests/calls
//
// Unknown filters and tests are errors when the template is parsed.
#include <algorithm>
#include <initializer_list>
#include <limits>

#include "template/ast.h"
#include "template/builtins.h"

namespace gantry::tmpl {

namespace {

// Deeper expression trees and statement nesting are rejected so that
// evaluation (which recurses) cannot overflow the stack.
constexpr uint32_t kMaxExprDepth = 200;
constexpr uint32_t kMaxBlockDepth = 100;

struct OpenBlock {
  std::string_view tag;      // "if"
  std::string_view end_tag;  // "endif"
  uint32_t line;
};

bool is_block_keyword(std::string_view n) {
  static constexpr std::string_view kWords[] = {"elif",     "else",     "endif",    "endfor",
                                                "endset",   "endmacro", "endwith",  "endraw",
                                                "endblock", "endcall",  "endfilter"};
  return std::find(std::begin(kWords), std::end(kWords), n) != std::end(kWords);
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, Template* tmpl) : toks_(std::move(tokens)), tmpl_(tmpl) {}

  void parse_template() { tmpl_->body = parse_body({}, nullptr); }

  ExprPtr parse_whole_expression() {
    ExprPtr e = parse_tuple(true, {}, false);
    if (cur().kind != Tok::kEof) fail(cur(), "unexpected " + describe(cur()) + " after expression");
    return e;
  }

 private:
  // ---- token helpers ----
  const Token& cur() const { return toks_[pos_]; }
  const Token& peek(size_t n = 1) const {
    size_t i = std::min(pos_ + n, toks_.size() - 1);
    return toks_[i];
  }
  void advance() {
    if (pos_ + 1 < toks_.size()) ++pos_;
  }
  bool at_op(Op op) const { return cur().kind == Tok::kOp && cur().op == op; }
  bool at_name(std::string_view n) const { return cur().kind == Tok::kName && cur().text == n; }
  bool skip_op(Op op) {
    if (!at_op(op)) return false;
    advance();
    return true;
  }

  [[noreturn]] void fail(const Token& t, std::string why) const {
    throw Error(Location{tmpl_->name, t.line, t.column}, std::move(why));
  }

  void expect_op(Op op) {
    if (!at_op(op))
      fail(cur(), "expected '" + std::string(op_text(op)) + "', found " + describe(cur()));
    advance();
  }
  std::string expect_name(std::string_view what) {
    if (cur().kind != Tok::kName)
      fail(cur(), "expected " + std::string(what) + ", found " + describe(cur()));
    std::string n = cur().text;
    advance();
    return n;
  }
  void expect_block_end(std::string_view stmt) {
    if (cur().kind != Tok::kBlockEnd)
      fail(cur(), "expected '%}' to end the {% " + std::string(stmt) + " %} tag, found " +
                      describe(cur()));
    advance();
  }

  template <typename T>
  static std::unique_ptr<T> at(const Token& t) {
    auto n = std::make_unique<T>();
    n->line = t.line;
    n->column = t.column;
    return n;
  }

  // Records the depth of a finished node (its children are already checked).
  ExprPtr done(ExprPtr e) {
    uint32_t d = 0;
    for (const auto& a : e->args)
      if (a) d = std::max(d, a->depth);
    for (const auto& [k, v] : e->kwargs)
      d = std::max(d, v->depth);
    e->depth = d + 1;
    if (e->depth > kMaxExprDepth)
      throw Error(Location{tmpl_->name, e->line, e->column},
                  "expression is nested too deeply (more than " + std::to_string(kMaxExprDepth) +
                      " levels)");
    return e;
  }

  // ---- statements ----
  Body parse_body(std::initializer_list<std::string_view> end_names, const OpenBlock* open) {
    if (++block_depth_ > kMaxBlockDepth)
      fail(cur(), "statements are nested too deeply (more than " + std::to_string(kMaxBlockDepth) +
                      " levels)");
    Body body;
    while (true) {
      const Token& t = cur();
      switch (t.kind) {
        case Tok::kData: {
          auto s = at<Stmt>(t);
          s->kind = StmtKind::kText;
          s->text = t.text;
          body.push_back(std::move(s));
          advance();
          break;
        }
        case Tok::kVarBegin: {
          auto s = at<Stmt>(t);
          s->kind = StmtKind::kOutput;
          advance();
          s->expr = parse_tuple(true, {}, false);
          if (cur().kind != Tok::kVarEnd)
            fail(cur(), "expected '}}' to end the expression, found " + describe(cur()));
          advance();
          body.push_back(std::move(s));
          break;
        }
        case Tok::kBlockBegin: {
          const Token& begin = t;
          advance();
          if (cur().kind != Tok::kName)
            fail(cur(), "expected a statement name after '{%', found " + describe(cur()));
          const std::string& name = cur().text;
          if (std::find(end_names.begin(), end_names.end(), name) != end_names.end()) {
            --block_depth_;
            return body;
          }
          if (is_block_keyword(name)) {
            if (open)
              fail(cur(), "unexpected {% " + name + " %}; expected {% " +
                              std::string(open->end_tag) + " %} for {% " + std::string(open->tag) +
                              " %} opened at line " + std::to_string(open->line));
            fail(cur(), "unexpected {% " + name + " %} without a matching opening statement");
          }
          body.push_back(parse_statement(begin));
          break;
        }
        case Tok::kEof:
          if (open)
            fail(t, "unexpected end of template: expected {% " + std::string(open->end_tag) +
                        " %} for {% " + std::string(open->tag) + " %} opened at line " +
                        std::to_string(open->line));
          --block_depth_;
          return body;
        default:
          fail(t, "unexpected " + describe(t));
      }
    }
  }

  StmtPtr parse_statement(const Token& begin) {
    std::string name = cur().text;
    if (name == "if") return parse_if(begin);
    if (name == "for") return parse_for(begin);
    if (name == "set") return parse_set(begin);
    if (name == "include") return parse_include(begin);
    if (name == "macro") return parse_macro(begin);
    if (name == "with") return parse_with(begin);
    static constexpr std::string_view kUnsupported[] = {"block", "extends", "import",     "from",
                                                        "call",  "filter",  "autoescape", "do",
                                                        "break", "continue"};
    if (std::find(std::begin(kUnsupported), std::end(kUnsupported), name) != std::end(kUnsupported))
      fail(cur(), "{% " + name + " %} is not supported");
    fail(cur(), "unknown statement {% " + name + " %}");
  }

  StmtPtr parse_if(const Token& begin) {
    auto s = at<Stmt>(begin);
    s->kind = StmtKind::kIf;
    OpenBlock open{"if", "endif", begin.line};
    advance();  // "if"
    ExprPtr cond = parse_tuple(false, {}, false);
    expect_block_end("if");
    while (true) {
      Body body = parse_body({"elif", "else", "endif"}, &open);
      s->branches.push_back(IfBranch{std::move(cond), std::move(body)});
      std::string kw = cur().text;
      advance();
      if (kw == "elif") {
        cond = parse_tuple(false, {}, false);
        expect_block_end("elif");
        continue;
      }
      if (kw == "else") {
        expect_block_end("else");
        Body else_body = parse_body({"endif"}, &open);
        s->branches.push_back(IfBranch{nullptr, std::move(else_body)});
        advance();
      }
      expect_block_end("endif");
      return s;
    }
  }

  std::vector<std::string> parse_targets(std::string_view stmt) {
    std::vector<std::string> names;
    bool paren = skip_op(Op::kLParen);
    while (true) {
      names.push_back(expect_name("a variable name in {% " + std::string(stmt) + " %}"));
      if (!skip_op(Op::kComma)) break;
      if (paren && at_op(Op::kRParen)) break;
    }
    if (paren) expect_op(Op::kRParen);
    for (const auto& n : names)
      check_assignable(n);
    return names;
  }

  void check_assignable(const std::string& n) {
    static constexpr std::string_view kReserved[] = {"true", "false", "none",
                                                     "True", "False", "None"};
    if (std::find(std::begin(kReserved), std::end(kReserved), n) != std::end(kReserved))
      fail(toks_[pos_ > 0 ? pos_ - 1 : 0], "cannot assign to '" + n + "'");
  }

  StmtPtr parse_for(const Token& begin) {
    auto s = at<Stmt>(begin);
    s->kind = StmtKind::kFor;
    OpenBlock open{"for", "endfor", begin.line};
    advance();  // "for"
    s->targets = parse_targets("for");
    if (!at_name("in")) fail(cur(), "expected 'in' in {% for %}, found " + describe(cur()));
    advance();
    s->expr = parse_tuple(false, {"recursive"}, false);
    if (at_name("if")) {
      advance();
      s->filter = parse_expression(true);
    }
    if (at_name("recursive")) fail(cur(), "recursive loops are not supported");
    expect_block_end("for");
    s->body = parse_body({"endfor", "else"}, &open);
    if (cur().text == "else") {
      advance();
      expect_block_end("else");
      s->else_body = parse_body({"endfor"}, &open);
    }
    advance();
    expect_block_end("endfor");
    return s;
  }

  StmtPtr parse_set(const Token& begin) {
    auto s = at<Stmt>(begin);
    advance();  // "set"
    std::string first = expect_name("a variable name in {% set %}");
    check_assignable(first);
    s->targets.push_back(first);
    if (skip_op(Op::kDot)) {
      s->attr = expect_name("an attribute name after '.'");
    } else {
      while (skip_op(Op::kComma)) {
        s->targets.push_back(expect_name("a variable name in {% set %}"));
        check_assignable(s->targets.back());
      }
    }
    if (skip_op(Op::kAssign)) {
      s->kind = StmtKind::kSet;
      s->expr = parse_tuple(true, {}, false);
      expect_block_end("set");
      return s;
    }
    if (s->targets.size() != 1 || !s->attr.empty())
      fail(cur(), "expected '=' in {% set %}, found " + describe(cur()));
    s->kind = StmtKind::kSetBlock;
    expect_block_end("set");
    OpenBlock open{"set", "endset", begin.line};
    s->body = parse_body({"endset"}, &open);
    advance();
    expect_block_end("endset");
    return s;
  }

  StmtPtr parse_include(const Token& begin) {
    auto s = at<Stmt>(begin);
    s->kind = StmtKind::kInclude;
    advance();  // "include"
    s->expr = parse_expression(true);
    if (at_name("ignore") && peek().kind == Tok::kName && peek().text == "missing") {
      s->ignore_missing = true;
      advance();
      advance();
    }
    if ((at_name("with") || at_name("without")) && peek().kind == Tok::kName &&
        peek().text == "context") {
      if (cur().text == "without") fail(cur(), "'without context' is not supported");
      advance();
      advance();
    }
    expect_block_end("include");
    return s;
  }

  StmtPtr parse_macro(const Token& begin) {
    auto s = at<Stmt>(begin);
    s->kind = StmtKind::kMacro;
    s->owner = tmpl_;
    advance();  // "macro"
    s->text = expect_name("a macro name");
    check_assignable(s->text);
    expect_op(Op::kLParen);
    bool seen_default = false;
    while (!at_op(Op::kRParen)) {
      if (!s->params.empty()) expect_op(Op::kComma);
      if (at_op(Op::kRParen)) break;
      MacroParam p;
      p.name = expect_name("a parameter name");
      check_assignable(p.name);
      if (skip_op(Op::kAssign)) {
        p.default_value = parse_expression(true);
        seen_default = true;
      } else if (seen_default) {
        fail(toks_[pos_ - 1],
             "parameter '" + p.name + "' without a default follows one with a default");
      }
      s->params.push_back(std::move(p));
    }
    advance();  // ")"
    expect_block_end("macro");
    OpenBlock open{"macro", "endmacro", begin.line};
    s->body = parse_body({"endmacro"}, &open);
    advance();
    if (cur().kind == Tok::kName && cur().text == s->text) advance();
    expect_block_end("endmacro");
    return s;
  }

  StmtPtr parse_with(const Token& begin) {
    auto s = at<Stmt>(begin);
    s->kind = StmtKind::kWith;
    advance();  // "with"
    while (cur().kind != Tok::kBlockEnd) {
      if (!s->assigns.empty()) expect_op(Op::kComma);
      std::string n = expect_name("a variable name in {% with %}");
      check_assignable(n);
      expect_op(Op::kAssign);
      s->assigns.emplace_back(std::move(n), parse_expression(true));
    }
    expect_block_end("with");
    OpenBlock open{"with", "endwith", begin.line};
    s->body = parse_body({"endwith"}, &open);
    advance();
    expect_block_end("endwith");
    return s;
  }

  // ---- expressions ----
  bool is_tuple_end(std::initializer_list<std::string_view> extra_end) const {
    const Token& t = cur();
    if (t.kind == Tok::kVarEnd || t.kind == Tok::kBlockEnd || t.kind == Tok::kEof) return true;
    if (t.kind == Tok::kOp && t.op == Op::kRParen) return true;
    if (t.kind == Tok::kName)
      return std::find(extra_end.begin(), extra_end.end(), t.text) != extra_end.end();
    return false;
  }

  ExprPtr parse_tuple(bool with_condexpr, std::initializer_list<std::string_view> extra_end,
                      bool explicit_parens) {
    const Token& start = cur();
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) expect_op(Op::kComma);
      if (is_tuple_end(extra_end)) break;
      items.push_back(with_condexpr ? parse_expression(true) : parse_or());
      if (at_op(Op::kComma)) {
        is_tuple = true;
      } else {
        break;
      }
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parens) fail(cur(), "expected an expression, found " + describe(cur()));
    }
    auto e = at<Expr>(start);
    e->kind = ExprKind::kList;
    e->args = std::move(items);
    return fold_list(done(std::move(e)));
  }

  ExprPtr parse_expression(bool with_condexpr) {
    if (!with_condexpr) return parse_or();
    ExprPtr e = parse_or();
    while (at_name("if")) {
      const Token& t = cur();
      advance();
      ExprPtr cond = parse_or();
      ExprPtr otherwise;
      if (at_name("else")) {
        advance();
        enter(t);
        otherwise = parse_expression(true);
        leave();
      }
      auto c = at<Expr>(t);
      c->kind = ExprKind::kCond;
      c->args.push_back(std::move(cond));
      c->args.push_back(std::move(e));
      c->args.push_back(std::move(otherwise));
      e = done(std::move(c));
    }
    return e;
  }

  ExprPtr binary(ExprKind kind, Op op, const Token& t, ExprPtr a, ExprPtr b) {
    auto e = at<Expr>(t);
    e->kind = kind;
    e->op = op;
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    return done(std::move(e));
  }

  ExprPtr parse_or() {
    ExprPtr e = parse_and();
    while (at_name("or")) {
      const Token& t = cur();
      advance();
      e = binary(ExprKind::kOr, Op::kNone, t, std::move(e), parse_and());
    }
    return e;
  }

  ExprPtr parse_and() {
    ExprPtr e = parse_not();
    while (at_name("and")) {
      const Token& t = cur();
      advance();
      e = binary(ExprKind::kAnd, Op::kNone, t, std::move(e), parse_not());
    }
    return e;
  }

  ExprPtr parse_not() {
    if (at_name("not")) {
      const Token& t = cur();
      advance();
      enter(t);
      auto e = at<Expr>(t);
      e->kind = ExprKind::kNot;
      e->args.push_back(parse_not());
      leave();
      return done(std::move(e));
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const Token& start = cur();
    ExprPtr first = parse_math1();
    ExprPtr cmp;
    while (true) {
      Cmp c;
      const Token& t = cur();
      if (t.kind == Tok::kOp && t.op == Op::kEq) {
        c = Cmp::kEq;
      } else if (t.kind == Tok::kOp && t.op == Op::kNe) {
        c = Cmp::kNe;
      } else if (t.kind == Tok::kOp && t.op == Op::kLt) {
        c = Cmp::kLt;
      } else if (t.kind == Tok::kOp && t.op == Op::kLe) {
        c = Cmp::kLe;
      } else if (t.kind == Tok::kOp && t.op == Op::kGt) {
        c = Cmp::kGt;
      } else if (t.kind == Tok::kOp && t.op == Op::kGe) {
        c = Cmp::kGe;
      } else if (at_name("in")) {
        c = Cmp::kIn;
      } else if (at_name("not") && peek().kind == Tok::kName && peek().text == "in") {
        c = Cmp::kNotIn;
        advance();
      } else {
        break;
      }
      advance();
      if (!cmp) {
        cmp = at<Expr>(start);
        cmp->kind = ExprKind::kCompare;
        cmp->line = t.line;
        cmp->column = t.column;
        cmp->args.push_back(std::move(first));
      }
      cmp->cmps.push_back(c);
      cmp->args.push_back(parse_math1());
    }
    if (!cmp) return first;
    return done(std::move(cmp));
  }

  ExprPtr parse_math1() {
    ExprPtr e = parse_concat();
    while (at_op(Op::kAdd) || at_op(Op::kSub)) {
      const Token& t = cur();
      advance();
      e = binary(ExprKind::kBinary, t.op, t, std::move(e), parse_concat());
    }
    return e;
  }

  ExprPtr parse_concat() {
    ExprPtr e = parse_math2();
    while (at_op(Op::kTilde)) {
      const Token& t = cur();
      advance();
      e = binary(ExprKind::kBinary, Op::kTilde, t, std::move(e), parse_math2());
    }
    return e;
  }

  ExprPtr parse_math2() {
    ExprPtr e = parse_pow();
    while (at_op(Op::kMul) || at_op(Op::kDiv) || at_op(Op::kFloorDiv) || at_op(Op::kMod)) {
      const Token& t = cur();
      advance();
      e = binary(ExprKind::kBinary, t.op, t, std::move(e), parse_pow());
    }
    return e;
  }

  ExprPtr parse_pow() {
    ExprPtr e = parse_unary(true);
    while (at_op(Op::kPow)) {
      const Token& t = cur();
      advance();
      e = binary(ExprKind::kBinary, Op::kPow, t, std::move(e), parse_unary(true));
    }
    return e;
  }

  void enter(const Token& t) {
    if (++nesting_ > kMaxExprDepth)
      fail(t, "expression is nested too deeply (more than " + std::to_string(kMaxExprDepth) +
                  " levels)");
  }
  void leave() { --nesting_; }

  ExprPtr parse_unary(bool with_filter) {
    const Token& t = cur();
    ExprPtr e;
    if (at_op(Op::kSub) || at_op(Op::kAdd)) {
      bool neg = t.op == Op::kSub;
      advance();
      enter(t);
      ExprPtr operand = parse_unary(false);
      leave();
      if (fold_sign(*operand, neg)) {
        operand->line = t.line;
        operand->column = t.column;
        e = std::move(operand);
      } else {
        auto n = at<Expr>(t);
        n->kind = neg ? ExprKind::kNeg : ExprKind::kPos;
        n->args.push_back(std::move(operand));
        e = done(std::move(n));
      }
    } else {
      e = parse_primary();
    }
    e = parse_postfix(std::move(e));
    if (with_filter) e = parse_filter_expr(std::move(e));
    return e;
  }

  // Folds "-1" / "+1.5" into a literal; false when the operand is not a number literal.
  static bool fold_sign(Expr& operand, bool neg) {
    if (operand.kind != ExprKind::kLiteral || !operand.literal.is_number()) return false;
    if (!neg) return true;
    if (operand.literal.is_float()) {
      operand.literal = doc::Value(-operand.literal.as_float());
      return true;
    }
    if (operand.literal.as_int() == std::numeric_limits<int64_t>::min()) return false;
    operand.literal = doc::Value(-operand.literal.as_int());
    return true;
  }

  ExprPtr literal(const Token& t, doc::Value v) {
    auto e = at<Expr>(t);
    e->kind = ExprKind::kLiteral;
    e->literal = std::move(v);
    return done(std::move(e));
  }

  ExprPtr parse_primary() {
    const Token& t = cur();
    switch (t.kind) {
      case Tok::kName: {
        const std::string& n = t.text;
        advance();
        if (n == "true" || n == "True") return literal(t, doc::Value(true));
        if (n == "false" || n == "False") return literal(t, doc::Value(false));
        if (n == "none" || n == "None") return literal(t, doc::Value());
        auto e = at<Expr>(t);
        e->kind = ExprKind::kName;
        e->name = n;
        return done(std::move(e));
      }
      case Tok::kString: {
        std::string s = t.text;
        advance();
        while (cur().kind == Tok::kString) {  // adjacent literals concatenate
          s += cur().text;
          advance();
        }
        return literal(t, doc::Value(std::move(s)));
      }
      case Tok::kInt:
        advance();
        return literal(t, doc::Value(t.int_value));
      case Tok::kFloat:
        advance();
        return literal(t, doc::Value(t.float_value));
      case Tok::kOp:
        if (t.op == Op::kLParen) {
          advance();
          enter(t);
          ExprPtr e = parse_tuple(true, {}, true);
          leave();
          expect_op(Op::kRParen);
          return e;
        }
        if (t.op == Op::kLBracket) return parse_list();
        if (t.op == Op::kLBrace) return parse_dict();
        break;
      default:
        break;
    }
    fail(t, "unexpected " + describe(t) + " in expression");
  }

  ExprPtr parse_list() {
    const Token& t = cur();
    advance();
    enter(t);
    auto e = at<Expr>(t);
    e->kind = ExprKind::kList;
    while (!at_op(Op::kRBracket)) {
      if (!e->args.empty()) expect_op(Op::kComma);
      if (at_op(Op::kRBracket)) break;
      e->args.push_back(parse_expression(true));
    }
    advance();
    leave();
    return fold_list(done(std::move(e)));
  }

  ExprPtr parse_dict() {
    const Token& t = cur();
    advance();
    enter(t);
    auto e = at<Expr>(t);
    e->kind = ExprKind::kDict;
    while (!at_op(Op::kRBrace)) {
      if (!e->args.empty()) expect_op(Op::kComma);
      if (at_op(Op::kRBrace)) break;
      e->args.push_back(parse_expression(true));
      expect_op(Op::kColon);
      e->args.push_back(parse_expression(true));
    }
    advance();
    leave();
    e = done(std::move(e));
    // Fold dicts whose keys are literal strings and whose values are literals.
    bool constant = true;
    for (size_t i = 0; i < e->args.size() && constant; i += 2)
      constant = e->args[i]->kind == ExprKind::kLiteral && e->args[i]->literal.is_string() &&
                 e->args[i + 1]->kind == ExprKind::kLiteral;
    if (!constant) return e;
    doc::Value m = doc::Value::map();
    for (size_t i = 0; i < e->args.size(); i += 2)
      m.set(e->args[i]->literal.as_string(), std::move(e->args[i + 1]->literal));
    e->args.clear();
    e->kind = ExprKind::kLiteral;
    e->literal = std::move(m);
    e->depth = 1;
    return e;
  }

  static ExprPtr fold_list(ExprPtr e) {
    for (const auto& a : e->args)
      if (a->kind != ExprKind::kLiteral) return e;
    doc::List items;
    items.reserve(e->args.size());
    for (auto& a : e->args)
      items.push_back(std::move(a->literal));
    e->args.clear();
    e->kind = ExprKind::kLiteral;
    e->literal = doc::Value(std::move(items));
    e->depth = 1;
    return e;
  }

  ExprPtr parse_postfix(ExprPtr e) {
    while (true) {
      if (at_op(Op::kDot) || at_op(Op::kLBracket)) {
        e = parse_subscript(std::move(e));
      } else if (at_op(Op::kLParen)) {
        e = parse_call(std::move(e));
      } else {
        return e;
      }
    }
  }

  // Attribute and index nodes are located where their base expression starts
  // ("a.b.c" reports column of "a"), so errors point at the whole path.
  static ExprPtr at_base(const Expr& base) {
    auto e = std::make_unique<Expr>();
    e->line = base.line;
    e->column = base.column;
    return e;
  }

  ExprPtr parse_subscript(ExprPtr base) {
    const Token& t = cur();
    if (at_op(Op::kDot)) {
      advance();
      const Token& n = cur();
      if (n.kind == Tok::kName) {
        advance();
        auto e = at_base(*base);
        e->kind = ExprKind::kAttr;
        e->name = n.text;
        e->args.push_back(std::move(base));
        return done(std::move(e));
      }
      if (n.kind == Tok::kInt) {
        advance();
        auto e = at_base(*base);
        e->kind = ExprKind::kIndex;
        e->args.push_back(std::move(base));
        e->args.push_back(literal(n, doc::Value(n.int_value)));
        return done(std::move(e));
      }
      fail(n, "expected an attribute name after '.', found " + describe(n));
    }
    advance();  // '['
    enter(t);
    auto e = at_base(*base);
    e->args.push_back(std::move(base));
    ExprPtr first;
    if (!at_op(Op::kColon)) first = parse_expression(true);
    if (at_op(Op::kColon)) {
      e->kind = ExprKind::kSlice;
      advance();
      ExprPtr stop, step;
      if (!at_op(Op::kColon) && !at_op(Op::kRBracket)) stop = parse_expression(true);
      if (skip_op(Op::kColon)) {
        if (!at_op(Op::kRBracket)) step = parse_expression(true);
      }
      e->args.push_back(std::move(first));
      e->args.push_back(std::move(stop));
      e->args.push_back(std::move(step));
    } else {
      e->kind = ExprKind::kIndex;
      e->args.push_back(std::move(first));
    }
    if (!at_op(Op::kRBracket)) fail(cur(), "expected ']', found " + describe(cur()));
    advance();
    leave();
    return done(std::move(e));
  }

  // Parses "(args)" into e->args (after those already there) and e->kwargs.
  void parse_call_args(Expr& e) {
    const Token& t = cur();
    expect_op(Op::kLParen);
    enter(t);
    bool first = true;
    while (!at_op(Op::kRParen)) {
      if (!first) expect_op(Op::kComma);
      first = false;
      if (at_op(Op::kRParen)) break;
      if (at_op(Op::kMul) || at_op(Op::kPow))
        fail(cur(), "*args and **kwargs in calls are not supported");
      if (cur().kind == Tok::kName && peek().kind == Tok::kOp && peek().op == Op::kAssign) {
        std::string key = cur().text;
        for (const auto& [k, v] : e.kwargs)
          if (k == key) fail(cur(), "keyword argument '" + key + "' given more than once");
        advance();
        advance();
        e.kwargs.emplace_back(std::move(key), parse_expression(true));
      } else {
        if (!e.kwargs.empty()) fail(cur(), "positional argument follows keyword argument");
        e.args.push_back(parse_expression(true));
      }
    }
    advance();
    leave();
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto e = at<Expr>(cur());
    e->line = callee->line;
    e->column = callee->column;
    e->kind = ExprKind::kCall;
    e->args.push_back(std::move(callee));
    parse_call_args(*e);
    return done(std::move(e));
  }

  std::string dotted_name(std::string_view what) {
    std::string n = expect_name(what);
    while (at_op(Op::kDot) && peek().kind == Tok::kName) {
      advance();
      n += "." + cur().text;
      advance();
    }
    return n;
  }

  ExprPtr parse_filter_expr(ExprPtr e) {
    while (true) {
      if (at_op(Op::kPipe)) {
        advance();
        const Token& t = cur();
        std::string name = dotted_name("a filter name after '|'");
        const FilterDef* def = find_filter(name);
        if (!def) fail(t, "unknown filter '" + name + "'");
        auto f = at<Expr>(t);
        f->kind = ExprKind::kFilter;
        f->name = std::move(name);
        f->filter = def;
        f->args.push_back(std::move(e));
        if (at_op(Op::kLParen)) parse_call_args(*f);
        e = done(std::move(f));
      } else if (at_name("is")) {
        advance();
        const Token& t = cur();
        bool negated = false;
        if (at_name("not")) {
          negated = true;
          advance();
        }
        const Token& nt = cur();
        std::string name = dotted_name("a test name after 'is'");
        const TestDef* def = find_test(name);
        if (!def) fail(nt, "unknown test '" + name + "'");
        auto f = at<Expr>(t);
        f->kind = ExprKind::kTest;
        f->name = std::move(name);
        f->test = def;
        f->negated = negated;
        f->args.push_back(std::move(e));
        const Token& a = cur();
        if (at_op(Op::kLParen)) {
          parse_call_args(*f);
        } else if ((a.kind == Tok::kName || a.kind == Tok::kString || a.kind == Tok::kInt ||
                    a.kind == Tok::kFloat ||
                    (a.kind == Tok::kOp && (a.op == Op::kLBracket || a.op == Op::kLBrace))) &&
                   !(a.kind == Tok::kName &&
                     (a.text == "else" || a.text == "or" || a.text == "and"))) {
          if (at_name("is")) fail(a, "tests cannot be chained with 'is'");
          f->args.push_back(parse_postfix(parse_primary()));
        }
        e = done(std::move(f));
      } else if (at_op(Op::kLParen)) {
        e = parse_call(std::move(e));
      } else {
        return e;
      }
    }
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  Template* tmpl_;
  uint32_t block_depth_ = 0;
  uint32_t nesting_ = 0;
};

}  // namespace

std::shared_ptr<Template> parse_template(std::string_view source, std::string name,
                                         std::filesystem::path dir, std::string key) {
  auto t = std::make_shared<Template>();
  t->name = std::move(name);
  t->dir = std::move(dir);
  t->key = std::move(key);
  Parser p(tokenize_template(source, t->name), t.get());
  p.parse_template();
  return t;
}

std::shared_ptr<Template> parse_expression(std::string_view source, std::string name) {
  auto t = std::make_shared<Template>();
  t->name = std::move(name);
  Parser p(tokenize_expression(source, t->name), t.get());
  auto s = std::make_unique<Stmt>();
  s->kind = StmtKind::kOutput;
  s->line = 1;
  s->column = 1;
  s->expr = p.parse_whole_expression();
  t->body.push_back(std::move(s));
  return t;
}

}  // namespace gantry::tmpl
