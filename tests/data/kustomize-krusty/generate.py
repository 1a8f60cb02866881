#!/usr/bin/env python3
"""Builds the krusty differential corpus (tests/data/kustomize-krusty/).

Inputs are facts taken from kustomize's own end-to-end tests
(api/krusty/*_test.go of kubernetes-sigs/kustomize at kustomize/v5.5.0): the
files each test writes with its harness (th.WriteK / WriteC / WriteF, or
fSys.WriteFile) and the directory it builds (th.Run / th.RunWithErr /
Kustomizer.Run).  Expected outputs are NOT the Go tests' expectations but
what the real `kubectl kustomize` (kustomize v5.5) prints for those inputs,
run offline (`unshare -n` when available).

The test sources are read with `git show <tag>:<path>` from a kustomize mirror
and evaluated by a small interpreter for the subset of Go these tests use
(string constants and variables, raw strings, concatenation, fmt.Sprintf,
filepath.Join, table-driven tests with struct/map literals, closures and
helper functions taking the harness).  Anything it cannot evaluate (an
unknown value written into a file) drops the case, with the reason counted.

Usage:
  generate.py [--mirror DIR] [--tag TAG] [--out DIR] [--kubectl K]
              [--helm PATH] [--only SUBSTRING]

Each case directory holds:
  in/            the files the test wrote (paths relative to the harness root)
  build-dir      the directory built, relative to in/ ("." for the root)
  flags          extra `kubectl kustomize` flags the test's options imply
                 (one per line; absent when none)
  expected.yaml  kubectl's stdout, byte for byte, when kubectl builds it
  expected-error.txt  one stable line of kubectl's error, when it fails
  source         the Go test it comes from (file:line, function, subtest)
Python 3 standard library only.
"""

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

# ---------------------------------------------------------------- tokenizer

OPS = [
    "<<=", ">>=", "&^=", "...", "&&", "||", "<-", "++", "--", "==", "!=", "<=",
    ">=", ":=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<", ">>",
    "&^", "+", "-", "*", "/", "%", "&", "|", "^", "<", ">", "=", "!", "(",
    ")", "[", "]", "{", "}", ",", ";", ".", ":", "~",
]
SEMI_AFTER = {"ident", "int", "float", "string", "char"}
SEMI_KW = {"break", "continue", "fallthrough", "return"}
KEYWORDS = {
    "break", "case", "chan", "const", "continue", "default", "defer", "else",
    "fallthrough", "for", "func", "go", "goto", "if", "import", "interface",
    "map", "package", "range", "return", "select", "struct", "switch", "type",
    "var",
}


class Tok:
    __slots__ = ("kind", "val", "line")

    def __init__(self, kind, val, line):
        self.kind, self.val, self.line = kind, val, line

    def __repr__(self):
        return "%s:%r@%d" % (self.kind, self.val, self.line)


def unquote_go(s):
    out, i = [], 1
    while i < len(s) - 1:
        c = s[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        n = s[i + 1]
        simple = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"',
                  "'": "'", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
        if n in simple:
            out.append(simple[n])
            i += 2
        elif n == "x":
            out.append(chr(int(s[i + 2:i + 4], 16)))
            i += 4
        elif n == "u":
            out.append(chr(int(s[i + 2:i + 6], 16)))
            i += 6
        elif n == "U":
            out.append(chr(int(s[i + 2:i + 10], 16)))
            i += 10
        elif n in "01234567":
            out.append(chr(int(s[i + 1:i + 4], 8)))
            i += 4
        else:
            raise ValueError("bad escape " + n)
    return "".join(out)


def tokenize(src):
    toks, i, line, n = [], 0, 1, len(src)

    def last_needs_semi():
        if not toks:
            return False
        t = toks[-1]
        if t.kind in SEMI_AFTER:
            return t.kind != "ident" or t.val not in KEYWORDS or t.val in SEMI_KW
        return t.kind == "op" and t.val in (")", "]", "}", "++", "--")

    while i < n:
        c = src[i]
        if c == "\n":
            if last_needs_semi():
                toks.append(Tok("op", ";", line))
            line += 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.index("*/", i + 2)
            if "\n" in src[i:j] and last_needs_semi():
                toks.append(Tok("op", ";", line))
            line += src.count("\n", i, j)
            i = j + 2
        elif c == "`":
            j = src.index("`", i + 1)
            toks.append(Tok("string", src[i + 1:j].replace("\r", ""), line))
            line += src.count("\n", i, j)
            i = j + 1
        elif c == '"':
            j = i + 1
            while src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            toks.append(Tok("string", unquote_go(src[i:j + 1]), line))
            i = j + 1
        elif c == "'":
            j = i + 1
            while src[j] != "'":
                j += 2 if src[j] == "\\" else 1
            toks.append(Tok("char", ord(unquote_go('"' + src[i + 1:j] + '"')), line))
            i = j + 1
        elif c.isalpha() or c == "_":
            m = re.compile(r"[A-Za-z_0-9]+").match(src, i)
            toks.append(Tok("ident", m.group(0), line))
            i = m.end()
        elif c.isdigit():
            m = re.compile(r"0[xX][0-9a-fA-F_]+|[0-9_]+(\.[0-9]*)?([eE][-+]?[0-9]+)?").match(src, i)
            txt = m.group(0).replace("_", "")
            if m.group(1) or m.group(2):
                toks.append(Tok("float", float(txt), line))
            elif re.fullmatch(r"0[0-7]+", txt):
                toks.append(Tok("int", int(txt, 8), line))
            else:
                toks.append(Tok("int", int(txt, 0), line))
            i = m.end()
        else:
            for op in OPS:
                if src.startswith(op, i):
                    toks.append(Tok("op", op, line))
                    i += len(op)
                    break
            else:
                raise SyntaxError("line %d: unexpected %r" % (line, c))
    if last_needs_semi():
        toks.append(Tok("op", ";", line))
    toks.append(Tok("eof", None, line))
    return toks


# ------------------------------------------------------------------- parser
# The AST is tuples: (kind, line, ...).


class Parser:
    def __init__(self, toks):
        self.t, self.p = toks, 0
        self.no_lit = 0  # >0 inside if/for/switch headers

    def peek(self, k=0):
        return self.t[self.p + k]

    def next(self):
        t = self.t[self.p]
        self.p += 1
        return t

    def is_op(self, v, k=0):
        t = self.t[self.p + k]
        return t.kind == "op" and t.val == v

    def is_kw(self, v):
        t = self.t[self.p]
        return t.kind == "ident" and t.val == v

    def accept(self, v):
        if self.is_op(v) or self.is_kw(v):
            self.p += 1
            return True
        return False

    def expect(self, v):
        if not self.accept(v):
            raise SyntaxError("line %d: expected %r, got %r" % (self.peek().line, v, self.peek()))

    def skip_semis(self):
        while self.is_op(";"):
            self.p += 1

    # ---- file
    def file(self):
        decls = {"funcs": {}, "consts": [], "types": {}}
        self.skip_semis()
        while self.peek().kind != "eof":
            if self.accept("package"):
                self.next()
            elif self.accept("import"):
                if self.accept("("):
                    while not self.accept(")"):
                        self.next()
                else:
                    while not self.is_op(";"):
                        self.next()
            elif self.is_kw("func"):
                self.next()
                if self.is_op("("):  # method: skip the receiver, keep it under Type.Method
                    self.p = self.match_close(self.p) + 1
                name = self.next().val
                params = self.params()
                self.result()
                body = self.block() if self.is_op("{") else None
                decls["funcs"][name] = (params, body)
            elif self.is_kw("const") or self.is_kw("var"):
                decls["consts"].extend(self.var_decl())
            elif self.accept("type"):
                for name, ty in self.type_specs():
                    decls["types"][name] = ty
            else:
                raise SyntaxError("line %d: top-level %r" % (self.peek().line, self.peek()))
            self.skip_semis()
        return decls

    def match_close(self, p):
        depth = 0
        while True:
            t = self.t[p]
            if t.kind == "op" and t.val in "([{":
                depth += 1
            elif t.kind == "op" and t.val in ")]}":
                depth -= 1
                if depth == 0:
                    return p
            p += 1

    def type_specs(self):
        out = []
        if self.accept("("):
            self.skip_semis()
            while not self.accept(")"):
                name = self.next().val
                self.accept("=")
                out.append((name, self.type()))
                self.skip_semis()
        else:
            name = self.next().val
            self.accept("=")
            out.append((name, self.type()))
        return out

    def var_decl(self):
        self.next()  # const / var
        specs = []
        if self.accept("("):
            self.skip_semis()
            while not self.accept(")"):
                specs.append(self.var_spec())
                self.skip_semis()
        else:
            specs.append(self.var_spec())
        return specs

    def var_spec(self):
        line = self.peek().line
        names = [self.next().val]
        while self.accept(","):
            names.append(self.next().val)
        ty = None
        if not self.is_op("=") and not self.is_op(";") and not self.is_op(")"):
            ty = self.type()
        vals = []
        if self.accept("="):
            vals = self.expr_list()
        return ("var", line, names, ty, vals)

    # ---- types (kept as tuples: ("name", x) ("slice", t) ("map", k, v) ("struct", fields) ...)
    def type(self):
        t = self.peek()
        if self.accept("*"):
            return ("ptr", self.type())
        if self.accept("("):
            ty = self.type()
            self.expect(")")
            return ty
        if self.accept("["):
            if self.accept("]"):
                return ("slice", self.type())
            if self.accept("..."):
                self.expect("]")
                return ("slice", self.type())
            self.expr()
            self.expect("]")
            return ("slice", self.type())
        if self.accept("map"):
            self.expect("[")
            k = self.type()
            self.expect("]")
            return ("map", k, self.type())
        if self.accept("chan"):
            self.accept("<-")
            return ("chan", self.type())
        if self.accept("<-"):
            self.accept("chan")
            return ("chan", self.type())
        if self.accept("func"):
            params = self.params()
            self.result()
            return ("func", params)
        if self.accept("interface"):
            self.p = self.match_close(self.p) + 1
            return ("interface",)
        if self.accept("struct"):
            self.expect("{")
            fields, ftypes = [], {}
            self.skip_semis()
            while not self.accept("}"):
                names = [self.next().val]
                if self.is_op(".") :  # embedded pkg.Type
                    self.next()
                    names = [self.next().val]
                    fields.append(names[0])
                    self.skip_semis()
                    continue
                if self.is_op(";") or self.is_op("}"):
                    fields.append(names[0])  # embedded
                    self.skip_semis()
                    continue
                while self.accept(","):
                    names.append(self.next().val)
                fty = self.type()
                if self.peek().kind == "string":
                    self.next()
                fields.extend(names)
                for n in names:
                    ftypes[n] = fty
                self.skip_semis()
            return ("struct", fields, ftypes)
        if t.kind == "ident":
            self.next()
            name = t.val
            if self.accept("."):
                name += "." + self.next().val
            if self.is_op("[") and not self.is_op("]", 1):  # generic instantiation
                pass
            return ("name", name)
        raise SyntaxError("line %d: type expected, got %r" % (t.line, t))

    def params(self):
        self.expect("(")
        groups = []  # list of (name or None, type)
        while not self.accept(")"):
            # parse an entry: [name] [...]type
            start = self.p
            if self.peek().kind == "ident" and not (self.is_op(",", 1) or self.is_op(")", 1) or self.is_op(".", 1)):
                name = self.next().val
                self.accept("...")
                groups.append((name, self.type()))
            else:
                self.p = start
                self.accept("...")
                ty = self.type()
                groups.append((None, ty))
            self.accept(",")
        # "a, b string": names parsed as types; resolve
        names = []
        pending = []
        for name, ty in groups:
            if name is None:
                pending.append(ty)
            else:
                for pt in pending:
                    names.append(pt[1] if pt[0] == "name" else "_")
                pending = []
                names.append(name)
        if pending and len(names) == 0:
            names = ["_"] * len(pending)
        elif pending:
            names.extend(pt[1] if pt[0] == "name" else "_" for pt in pending)
        return names

    def result(self):
        if self.is_op("("):
            self.params()
        elif not self.is_op("{") and not self.is_op(";") and not self.is_op(")") \
                and not self.is_op(",") and not self.is_op("}") and not self.is_op("]") \
                and not self.is_op("="):
            self.type()

    # ---- statements
    def block(self):
        self.expect("{")
        saved, self.no_lit = self.no_lit, 0
        stmts = []
        self.skip_semis()
        while not self.accept("}"):
            stmts.append(self.stmt())
            self.skip_semis()
        self.no_lit = saved
        return stmts

    def stmt(self):
        t = self.peek()
        line = t.line
        if t.kind == "op" and t.val == "{":
            return ("block", line, self.block())
        if t.kind == "ident":
            v = t.val
            if v in ("const", "var"):
                return ("decl", line, self.var_decl())
            if v == "type":
                self.next()
                return ("typedecl", line, self.type_specs())
            if v == "return":
                self.next()
                vals = [] if self.is_op(";") or self.is_op("}") else self.expr_list()
                return ("return", line, vals)
            if v in ("break", "continue", "fallthrough", "goto"):
                self.next()
                if self.peek().kind == "ident":
                    self.next()
                return (v, line)
            if v == "if":
                return self.if_stmt()
            if v == "for":
                return self.for_stmt()
            if v in ("switch", "select"):
                return self.switch_stmt()
            if v in ("defer", "go"):
                self.next()
                e = self.expr()
                return ("defer", line, e)
            if self.is_op(":", 1) and not self.is_op("=", 2):  # label
                self.next()
                self.next()
                return ("nop", line)
        return self.simple_stmt()

    def simple_stmt(self):
        line = self.peek().line
        lhs = self.expr_list()
        if self.is_op(":=") or self.is_op("="):
            op = self.next().val
            if self.accept("range"):
                return ("range", line, lhs, op, self.expr())
            rhs = self.expr_list()
            return ("assign", line, lhs, op, rhs)
        t = self.peek()
        if t.kind == "op" and t.val in ("+=", "-=", "*=", "/=", "|=", "&=", "%="):
            self.next()
            return ("assign", line, lhs, t.val, self.expr_list())
        if self.accept("++") or self.accept("--"):
            return ("nop", line)
        if self.accept("<-"):
            self.expr()
            return ("nop", line)
        return ("expr", line, lhs[0])

    def if_stmt(self):
        line = self.next().line
        self.no_lit += 1
        init = None
        if self.is_op(";"):
            self.next()
            cond = self.expr()
        else:
            s = self.simple_stmt()
            if self.accept(";"):
                init, cond = s, self.expr()
            else:
                cond = s[2]
        self.no_lit -= 1
        then = self.block()
        els = None
        if self.accept("else"):
            els = [self.if_stmt()] if self.is_kw("if") else self.block()
        return ("if", line, init, cond, then, els)

    def for_stmt(self):
        line = self.next().line
        self.no_lit += 1
        if self.is_op("{"):
            self.no_lit -= 1
            return ("loop", line, self.block())
        if self.accept("range"):
            e = self.expr()
            self.no_lit -= 1
            return ("forrange", line, ("range", line, [], "=", e), self.block())
        s = None if self.is_op(";") else self.simple_stmt()
        if s and s[0] == "range":
            self.no_lit -= 1
            return ("forrange", line, s, self.block())
        if self.accept(";"):
            if not self.is_op(";"):
                self.expr()
            self.expect(";")
            if not self.is_op("{"):
                self.simple_stmt()
        self.no_lit -= 1
        return ("loop", line, self.block())

    def switch_stmt(self):
        line = self.next().line
        self.no_lit += 1
        while not self.is_op("{"):
            self.next()
        self.no_lit -= 1
        self.p = self.match_close(self.p) + 1
        return ("nop", line)

    # ---- expressions
    def expr_list(self):
        out = [self.expr()]
        while self.accept(","):
            out.append(self.expr())
        return out

    PREC = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3,
            "+": 4, "-": 4, "|": 4, "^": 4, "*": 5, "/": 5, "%": 5, "<<": 5,
            ">>": 5, "&": 5, "&^": 5}

    def expr(self, prec=1):
        left = self.unary()
        while True:
            t = self.peek()
            if t.kind != "op" or t.val not in self.PREC or self.PREC[t.val] < prec:
                return left
            self.next()
            right = self.expr(self.PREC[t.val] + 1)
            left = ("bin", t.line, t.val, left, right)

    def unary(self):
        t = self.peek()
        if t.kind == "op" and t.val in ("!", "-", "+", "&", "*", "^", "<-"):
            self.next()
            return ("un", t.line, t.val, self.unary())
        return self.primary()

    def primary(self):
        t = self.peek()
        line = t.line
        if t.kind in ("string", "int", "float", "char"):
            self.next()
            x = ("lit", line, t.val)
        elif t.kind == "op" and t.val == "(":
            self.next()
            saved, self.no_lit = self.no_lit, 0
            x = self.expr()
            self.no_lit = saved
            self.expect(")")
            x = ("paren", line, x)
        elif t.kind == "ident" and t.val == "func":
            self.next()
            params = self.params()
            self.result()
            if self.is_op("{"):
                x = ("funclit", line, params, self.block())
            else:
                x = ("type", line, ("func", params))
        elif t.kind == "op" and t.val == "[" or (t.kind == "ident" and t.val in ("map", "struct", "chan", "interface")):
            ty = self.type()
            if self.is_op("{"):
                x = ("complit", line, ty, self.lit_body())
            else:
                x = ("type", line, ty)
        elif t.kind == "ident":
            self.next()
            x = ("ident", line, t.val)
        else:
            raise SyntaxError("line %d: unexpected %r" % (line, t))
        while True:
            if self.accept("."):
                if self.accept("("):
                    ty = "type" if self.accept("type") else self.type()
                    self.expect(")")
                    x = ("assert", line, x, ty)
                else:
                    x = ("sel", line, x, self.next().val)
            elif self.is_op("("):
                self.next()
                saved, self.no_lit = self.no_lit, 0
                args = []
                while not self.accept(")"):
                    if self.is_op("[") or self.is_kw("map") or self.is_kw("chan"):
                        start = self.p
                        try:
                            args.append(self.expr())
                        except SyntaxError:
                            self.p = start
                            args.append(("type", line, self.type()))
                    else:
                        args.append(self.expr())
                    self.accept("...")
                    self.accept(",")
                self.no_lit = saved
                x = ("call", line, x, args)
            elif self.is_op("["):
                self.next()
                saved, self.no_lit = self.no_lit, 0
                lo = hi = None
                if not self.is_op(":"):
                    lo = self.expr()
                if self.accept(":"):
                    if not self.is_op("]"):
                        hi = self.expr()
                    self.expect("]")
                    x = ("slice", line, x, lo, hi)
                else:
                    self.expect("]")
                    x = ("index", line, x, lo)
                self.no_lit = saved
            elif self.is_op("{") and self.no_lit == 0 and x[0] in ("ident", "sel"):
                x = ("complit", line, ("expr", x), self.lit_body())
            else:
                return x

    def lit_body(self):
        self.expect("{")
        saved, self.no_lit = self.no_lit, 0
        elems = []
        self.skip_semis()
        while not self.accept("}"):
            if self.is_op("{"):
                v = ("complit", self.peek().line, None, self.lit_body())
            else:
                v = self.expr()
            if self.accept(":"):
                k = v
                if self.is_op("{"):
                    v = ("complit", self.peek().line, None, self.lit_body())
                else:
                    v = self.expr()
                elems.append((k, v))
            else:
                elems.append((None, v))
            self.accept(",")
            self.skip_semis()
        self.no_lit = saved
        return elems


# -------------------------------------------------------------- interpreter


class Unknown:
    def __init__(self, why):
        self.why = why

    def __repr__(self):
        return "<unknown: %s>" % self.why


class Obj:
    """An opaque Go value with a kind (harness, fs, options, ...)."""

    def __init__(self, kind, **kw):
        self.kind = kind
        self.__dict__.update(kw)


class Struct(dict):
    pass


class Func:
    def __init__(self, name, params, body, env):
        self.name, self.params, self.body, self.env = name, params, body, env


class Builtin:
    def __init__(self, name, fn):
        self.name, self.fn = name, fn


class ReturnExc(Exception):
    def __init__(self, vals):
        self.vals = vals


class BreakExc(Exception):
    pass


class ContinueExc(Exception):
    pass


class FailNow(Exception):
    pass


class Env:
    def __init__(self, parent=None):
        self.vars, self.parent = {}, parent

    def get(self, name):
        e = self
        while e:
            if name in e.vars:
                return e.vars[name]
            e = e.parent
        raise KeyError(name)

    def has(self, name):
        e = self
        while e:
            if name in e.vars:
                return True
            e = e.parent
        return False

    def set(self, name, v):
        e = self
        while e:
            if name in e.vars:
                e.vars[name] = v
                return
            e = e.parent
        raise KeyError(name)

    def define(self, name, v):
        if name != "_":
            self.vars[name] = v


ROOT_MARK = "/__krusty_tmp_root__"


def norm_path(p):
    p = os.path.normpath(p) if p else "."
    return p


class Recorder:
    """Collects cases while one Go test runs."""

    def __init__(self, test_file, func):
        self.test_file, self.func = test_file, func
        self.cases = []
        self.subtest = []
        self.counter = {}


def go_format(fmt, args):
    out, ai, i = [], 0, 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        m = re.compile(r"%([-+# 0]*)(\d*)(\.\d+)?([a-zA-Z%])").match(fmt, i)
        if not m:
            raise ValueError("bad format")
        verb = m.group(4)
        i = m.end()
        if verb == "%":
            out.append("%")
            continue
        a = args[ai]
        ai += 1
        if isinstance(a, Unknown):
            return a
        if verb in ("s", "v", "d"):
            s = go_str(a)
        elif verb == "q":
            s = '"' + go_str(a).replace("\\", "\\\\").replace('"', '\\"') + '"'
        else:
            return Unknown("format verb %" + verb)
        width = m.group(2)
        if width:
            s = s.rjust(int(width)) if "-" not in m.group(1) else s.ljust(int(width))
        out.append(s)
    return "".join(out)


def go_str(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, str)):
        return str(v)
    if isinstance(v, Obj) and v.kind == "symbol":
        return v.name
    if isinstance(v, Obj) and v.kind == "tmpdir":
        return v.path
    raise ValueError("cannot print %r" % (v,))


class Interp:
    def __init__(self, decls, test_file, read_testdata):
        self.decls = decls
        self.test_file = test_file
        self.read_testdata = read_testdata
        self.globals = Env()
        self.rec = None
        for name, (params, body) in decls["funcs"].items():
            self.globals.define(name, Func(name, params, body, self.globals))
        self.types = dict(decls["types"])
        # package-level consts/vars, evaluated lazily in order (they may refer to each other)
        self.pending = {}
        for spec in decls["consts"]:
            for i, n in enumerate(spec[2]):
                self.pending[n] = (spec, i)

    def lookup(self, name, env):
        if env.has(name):
            return env.get(name)
        if name in self.pending:
            spec, i = self.pending.pop(name)
            vals = spec[4]
            v = self.eval(vals[i], self.globals) if i < len(vals) else self.zero(spec[3])
            self.globals.define(name, v)
            return v
        if name in ("true", "false"):
            return name == "true"
        if name == "nil":
            return None
        if name in ("len", "append", "string", "make", "new", "panic", "byte", "int"):
            return Obj("builtinfn", name=name)
        return Obj("pkg", name=name)

    def zero(self, ty):
        if ty is None:
            return None
        if ty[0] == "name":
            n = ty[1]
            if n == "string":
                return ""
            if n in ("int", "int64", "int32", "uint"):
                return 0
            if n == "bool":
                return False
            if n in self.types:
                return self.zero(self.types[n])
            return None
        if ty[0] == "struct":
            return Struct({f: self.zero(ty[2].get(f)) for f in ty[1]})
        return None

    def struct_fields(self, ty):
        if ty is None:
            return None
        if ty[0] == "name" and ty[1] in self.types:
            return self.struct_fields(self.types[ty[1]])
        if ty[0] == "struct":
            return ty[1]
        if ty[0] == "ptr":
            return self.struct_fields(ty[1])
        return None

    def elem_type(self, ty):
        while ty and ty[0] == "name" and ty[1] in self.types:
            ty = self.types[ty[1]]
        if ty and ty[0] == "ptr":
            return self.elem_type(ty[1])
        return ty

    # ---- statements
    def run_block(self, stmts, env):
        for s in stmts:
            self.exec(s, env)

    def exec(self, s, env):
        k = s[0]
        if k == "expr":
            self.eval(s[2], env)
        elif k == "assign":
            self.assign(s, env)
        elif k == "decl":
            for spec in s[2]:
                _, _, names, ty, vals = spec
                if vals:
                    vs = self.eval_list(vals, env, len(names))
                else:
                    vs = [self.zero(ty) for _ in names]
                for n, v in zip(names, vs):
                    env.define(n, v)
        elif k == "block":
            self.run_block(s[2], Env(env))
        elif k == "typedecl":
            for name, ty in s[2]:
                self.types[name] = ty
        elif k == "if":
            e = Env(env)
            if s[2]:
                self.exec(s[2], e)
            c = self.eval(s[3], e)
            if c is True:
                self.run_block(s[4], Env(e))
            elif c is False:
                if s[5]:
                    self.run_block(s[5], Env(e))
            # unknown condition: neither branch (they check results we do not have)
        elif k == "forrange":
            self.for_range(s, env)
        elif k == "loop":
            pass  # plain for loops are not used to write inputs
        elif k == "return":
            raise ReturnExc([self.eval(v, env) for v in s[2]])
        elif k == "defer":
            e = s[2]
            if e[0] == "call" and e[2][0] == "funclit":
                return
            # deferred calls (th.Reset, cleanups) run after the case was recorded
        elif k == "break":
            raise BreakExc()
        elif k == "continue":
            raise ContinueExc()
        elif k == "range":
            raise SyntaxError("range outside for")

    def eval_list(self, exprs, env, n):
        if len(exprs) == 1 and n > 1:
            v = self.eval(exprs[0], env)
            if isinstance(v, tuple):
                return list(v)
            return [v] + [None] * (n - 1)
        vs = [self.eval(e, env) for e in exprs]
        return [v[0] if isinstance(v, tuple) else v for v in vs]

    def assign(self, s, env):
        _, _, lhs, op, rhs = s
        if op in ("+=",):
            cur = self.eval(lhs[0], env)
            v = self.eval(rhs[0], env)
            self.store(lhs[0], self.binop("+", cur, v), env, False)
            return
        if op not in (":=", "="):
            return
        vs = self.eval_list(rhs, env, len(lhs))
        for target, v in zip(lhs, vs):
            self.store(target, v, env, op == ":=")

    def store(self, target, v, env, define):
        if target[0] == "ident":
            name = target[2]
            if define and not (name in env.vars):
                env.define(name, v)
            elif env.has(name):
                env.set(name, v)
            else:
                env.define(name, v)
        elif target[0] == "sel":
            obj = self.eval(target[2], env)
            if isinstance(obj, (Struct, dict)):
                obj[target[3]] = v
            elif isinstance(obj, Obj):
                setattr(obj, "f_" + target[3], v)
        elif target[0] == "index":
            obj = self.eval(target[2], env)
            idx = self.eval(target[3], env)
            if isinstance(obj, (dict, list)) and not isinstance(idx, Unknown):
                obj[idx] = v
        elif target[0] in ("un", "paren"):
            self.store(target[3] if target[0] == "un" else target[2], v, env, define)

    def for_range(self, s, env):
        _, _, rng, body = s
        _, _, lhs, op, e = rng
        coll = self.eval(e, env)
        if isinstance(coll, Unknown) or coll is None:
            return
        if isinstance(coll, dict):
            items = list(coll.items())
        elif isinstance(coll, (list, str)):
            items = list(enumerate(coll))
        elif isinstance(coll, int):
            items = [(i, i) for i in range(coll)]
        else:
            return
        for key, val in items:
            e2 = Env(env)
            vals = [key, val]
            for i, target in enumerate(lhs):
                if target[0] == "ident":
                    e2.define(target[2], vals[i])
                else:
                    self.store(target, vals[i], e2, False)
            try:
                self.run_block(body, Env(e2))
            except BreakExc:
                break
            except ContinueExc:
                continue

    # ---- expressions
    def eval(self, x, env):
        k = x[0]
        if k == "lit":
            return x[2]
        if k == "ident":
            return self.lookup(x[2], env)
        if k == "paren":
            return self.eval(x[2], env)
        if k == "funclit":
            return Func("<lit>", x[2], x[3], env)
        if k == "type":
            return Obj("type", ty=x[2])
        if k == "complit":
            return self.complit(x[2], x[3], env)
        if k == "un":
            v = self.eval(x[3], env)
            if x[2] == "!":
                return (not v) if isinstance(v, bool) else Unknown("!")
            if x[2] == "-":
                return -v if isinstance(v, (int, float)) else Unknown("-")
            return v  # & and * are no-ops here
        if k == "bin":
            op = x[2]
            if op == "&&":
                a = self.eval(x[3], env)
                if a is False:
                    return False
                b = self.eval(x[4], env)
                if a is True:
                    return b
                return False if b is False else Unknown("&&")
            if op == "||":
                a = self.eval(x[3], env)
                if a is True:
                    return True
                b = self.eval(x[4], env)
                if a is False:
                    return b
                return True if b is True else Unknown("||")
            return self.binop(op, self.eval(x[3], env), self.eval(x[4], env))
        if k == "sel":
            return self.select(self.eval(x[2], env), x[3], x)
        if k == "index":
            c = self.eval(x[2], env)
            i = self.eval(x[3], env)
            if isinstance(c, Unknown) or isinstance(i, Unknown):
                return Unknown("index")
            if isinstance(c, dict):
                return c.get(i)
            if isinstance(c, (list, str)):
                return c[i]
            return Unknown("index of %r" % (c,))
        if k == "slice":
            c = self.eval(x[2], env)
            lo = self.eval(x[3], env) if x[3] else None
            hi = self.eval(x[4], env) if x[4] else None
            if isinstance(c, (list, str)):
                return c[lo:hi]
            return Unknown("slice")
        if k == "assert":
            return self.eval(x[2], env)
        if k == "call":
            return self.call(x, env)
        raise ValueError("cannot evaluate %s" % k)

    def binop(self, op, a, b):
        if isinstance(a, Unknown) or isinstance(b, Unknown):
            if op in ("==", "!=") and (a is None or b is None):
                return Unknown("nil comparison")
            return Unknown("binop " + op)
        if op == "+":
            if isinstance(a, str) != isinstance(b, str):
                return Unknown("+ of mixed types")
            return a + b
        if op == "==":
            return a == b
        if op == "!=":
            return a != b
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return {"-": lambda: a - b, "*": lambda: a * b, "/": lambda: a // b,
                    "%": lambda: a % b, "<": lambda: a < b, ">": lambda: a > b,
                    "<=": lambda: a <= b, ">=": lambda: a >= b}.get(op, lambda: Unknown(op))()
        return Unknown("binop " + op)

    def complit(self, ty_node, elems, env, ty=None):
        if ty_node is not None:
            ty = ty_node[1][2] if ty_node[0] == "expr" and ty_node[1][0] == "ident" else ty_node
            if ty_node[0] == "expr" and ty_node[1][0] == "ident":
                ty = ("name", ty_node[1][2])
            elif ty_node[0] == "expr":
                ty = ("name", "?")
        et = self.elem_type(ty)
        if et and et[0] == "slice":
            out = []
            for k, v in elems:
                out.append(self.elem_value(v, et[1], env))
            return out
        if et and et[0] == "map":
            out = {}
            for k, v in elems:
                kv = self.elem_value(k, et[1], env)
                out[kv] = self.elem_value(v, et[2], env)
            return out
        fields = self.struct_fields(et)
        s = self.zero(et) if fields is not None else Struct()
        for i, (k, v) in enumerate(elems):
            if k is None:
                if fields and i < len(fields):
                    s[fields[i]] = self.eval(v, env)
                continue
            name = k[2] if k[0] == "ident" else str(self.eval(k, env))
            s[name] = self.eval(v, env)
        if fields is None and et and et[0] == "name" and "." in et[1]:
            return Obj("extstruct", fields=s, type=et[1])
        return s

    def elem_value(self, v, ty, env):
        if v[0] == "complit" and v[2] is None:
            return self.complit(None, v[3], env, ty)
        return self.eval(v, env)

    def select(self, o, name, x):
        if isinstance(o, Obj) and o.kind == "harness" and name == "Harness":
            return o
        if isinstance(o, Obj):
            if hasattr(o, "f_" + name):
                return getattr(o, "f_" + name)
            if o.kind == "pkg":
                return Obj("symbol", name=o.name + "." + name, pkg=o.name, member=name)
            return Obj("method", recv=o, name=name)
        if isinstance(o, Struct):
            if name in o:
                return o[name]
            return Obj("method", recv=o, name=name)
        if isinstance(o, Unknown):
            return Unknown("field %s of %s" % (name, o.why))
        return Obj("method", recv=o, name=name)

    def call(self, x, env):
        fn_node, arg_nodes = x[2], x[3]
        fn = self.eval(fn_node, env)
        args = []
        for a in arg_nodes:
            args.append(self.eval(a, env) if a[0] != "type" else Obj("type", ty=a[2]))
        if isinstance(fn, Func):
            return self.invoke(fn, args)
        if isinstance(fn, Obj):
            if fn.kind == "method":
                return self.method(fn.recv, fn.name, args, x)
            if fn.kind == "symbol":
                return self.pkg_call(fn.pkg, fn.member, args, x)
            if fn.kind == "builtinfn":
                return self.builtin(fn.name, args, x)
            if fn.kind == "type":
                return args[0] if args else None
        return Unknown("call of %r" % (fn,))

    def invoke(self, fn, args):
        e = Env(fn.env)
        for i, p in enumerate(fn.params):
            e.define(p, args[i] if i < len(args) else None)
        try:
            self.run_block(fn.body, e)
        except ReturnExc as r:
            if len(r.vals) == 1:
                return r.vals[0]
            return tuple(r.vals) if r.vals else None
        return None

    def builtin(self, name, args, x):
        if name == "len":
            a = args[0]
            return len(a) if isinstance(a, (str, list, dict)) else Unknown("len")
        if name == "append":
            if not isinstance(args[0], (list, type(None))):
                return Unknown("append")
            return list(args[0] or []) + list(args[1:]) if not (
                len(x[3]) == 2 and isinstance(args[1], list)) else list(args[0] or []) + args[1]
        if name in ("string", "byte"):
            return args[0]
        if name == "make":
            ty = args[0].ty if isinstance(args[0], Obj) else None
            et = self.elem_type(ty)
            return {} if et and et[0] == "map" else []
        if name == "panic":
            raise FailNow()
        return Unknown(name)

    def pkg_call(self, pkg, f, args, x):
        if pkg == "fmt" and f == "Sprintf":
            return go_format(args[0], args[1:]) if isinstance(args[0], str) else Unknown("Sprintf")
        if pkg in ("filepath", "path") and f == "Join":
            if any(isinstance(a, Unknown) for a in args):
                return Unknown("Join")
            parts = [go_str(a) for a in args if a != ""]
            return os.path.normpath(os.path.join(*parts)) if parts else ""
        if pkg in ("filepath", "path") and f == "Dir":
            return os.path.dirname(args[0]) or "."
        if pkg == "strings":
            a = args
            if any(isinstance(v, Unknown) for v in a):
                return Unknown("strings." + f)
            fns = {
                "ReplaceAll": lambda: a[0].replace(a[1], a[2]),
                "Replace": lambda: a[0].replace(a[1], a[2]) if a[3] < 0 else a[0].replace(a[1], a[2], a[3]),
                "Repeat": lambda: a[0] * a[1],
                "Join": lambda: a[1].join(a[0]) if all(isinstance(e, str) for e in a[0])
                else Unknown("strings.Join"),
                "TrimSpace": lambda: a[0].strip(),
                "TrimPrefix": lambda: a[0][len(a[1]):] if a[0].startswith(a[1]) else a[0],
                "TrimSuffix": lambda: a[0][:-len(a[1])] if a[1] and a[0].endswith(a[1]) else a[0],
                "Contains": lambda: a[1] in a[0] if isinstance(a[0], str) else Unknown("Contains"),
                "HasPrefix": lambda: a[0].startswith(a[1]),
                "ToUpper": lambda: a[0].upper(),
                "ToLower": lambda: a[0].lower(),
            }
            return fns[f]() if f in fns else Unknown("strings." + f)
        if pkg == "kusttest_test":
            if f in ("MakeHarness", "MakeHarnessWithFs"):
                fs = args[1] if len(args) > 1 and isinstance(args[1], Obj) and args[1].kind == "fs" else self.new_fs()
                return Obj("harness", fs=fs, enhanced=False, root="/")
            if f == "MakeEnhancedHarness":
                return Obj("harness", fs=self.new_fs(), enhanced=True, root="/")
            if f == "MakeEnhancedHarnessWithTmpRoot":
                return Obj("harness", fs=self.new_fs(), enhanced=True, root=ROOT_MARK)
            if f == "Setup":
                return (self.new_fs(), Obj("tmpdir", path=ROOT_MARK))
            if f == "CreateKustDir":
                return Unknown("CreateKustDir")
        if pkg == "filesys":
            if f in ("MakeFsInMemory", "MakeFsOnDisk", "MakeEmptyDirInMemory"):
                return self.new_fs()
            if f == "NewTmpConfirmedDir":
                return (Obj("tmpdir", path=ROOT_MARK), None)
        if pkg == "krusty":
            if f == "MakeDefaultOptions":
                return self.default_options()
            if f == "MakeKustomizer":
                return Obj("kustomizer", opts=args[0])
        if pkg == "konfig" and f == "DefaultKustomizationFileName":
            return "kustomization.yaml"
        if pkg == "copyutil" and f == "CopyDir":
            fs, src, dst = args
            if isinstance(fs, Obj) and fs.kind == "fs" and isinstance(src, str) and isinstance(dst, str):
                for rel, content in self.read_testdata(src).items():
                    fs.files[norm_path(os.path.join(dst, rel))] = content
                return None
            return Unknown("CopyDir")
        if pkg == "os" and f == "ReadFile" and isinstance(args[0], str):
            rel = os.path.normpath(args[0])
            content = self.read_testdata(os.path.dirname(rel)).get(os.path.basename(rel))
            return (content, None) if content is not None else (Unknown("ReadFile " + rel), None)
        if pkg == "t" and f == "Run":
            return self.subtest(args, x)
        if pkg == "t" and f in ("Fatal", "Fatalf", "FailNow"):
            raise FailNow()
        if pkg == "os" and f in ("Chmod",):
            self.note("file permissions")
            return None
        if pkg == "t" and f in ("Skip", "SkipNow", "Skipf"):
            return None
        return Unknown("%s.%s" % (pkg, f))

    def default_options(self):
        return Obj("options", f_LoadRestrictions=Obj("symbol", name="types.LoadRestrictionsRootOnly"),
                   f_PluginConfig=Obj("pluginconfig", enabled=False, f_HelmConfig=Struct()),
                   f_AddManagedbyLabel=False, f_Reorder=Obj("symbol", name="krusty.ReorderOptionUnspecified"),
                   f_DoLegacyResourceSort=False)

    def new_fs(self):
        return Obj("fs", files={}, dirs=set())

    def note(self, what):
        if self.rec is not None:
            self.rec.notes.add(what)

    def method(self, recv, name, args, x):
        if isinstance(recv, Obj) and recv.kind == "harness":
            return self.harness_method(recv, name, args, x)
        if isinstance(recv, Obj) and recv.kind == "fs":
            return self.fs_method(recv, name, args)
        if isinstance(recv, Obj) and recv.kind == "tmpdir":
            if name == "String":
                return recv.path
            if name == "Join":
                return os.path.join(recv.path, args[0])
        if isinstance(recv, Obj) and recv.kind == "kustomizer" and name == "Run":
            return (self.record(args[0], args[1], recv.opts, "either", x), None)
        if isinstance(recv, Obj) and recv.name == "t" if isinstance(recv, Obj) and recv.kind == "pkg" else False:
            if name == "Run":
                return self.subtest(args, x)
            if name in ("Fatal", "Fatalf", "FailNow"):
                raise FailNow()
            return None
        if isinstance(recv, Obj) and recv.kind == "pkg" and recv.name == "b" and name == "Run":
            return None  # benchmarks
        if isinstance(recv, Struct) and name in recv and isinstance(recv[name], Func):
            return self.invoke(recv[name], args)
        return Unknown("method %s" % name)

    def subtest(self, args, x):
        name, fn = args[0], args[1]
        if not isinstance(fn, Func):
            return None
        self.rec.subtest.append(go_str(name) if not isinstance(name, Unknown) else "sub%d" % x[1])
        try:
            self.invoke(fn, [Obj("pkg", name="t")])
        except FailNow:
            pass
        finally:
            self.rec.subtest.pop()
        return True

    def fs_method(self, fs, name, args):
        if name == "WriteFile":
            path, content = args[0], args[1]
            self.write(fs, path, content)
            return None
        if name in ("Mkdir", "MkdirAll"):
            if isinstance(args[0], str):
                fs.dirs.add(norm_path(args[0]))
            return None
        if name == "RemoveAll":
            p = norm_path(args[0]) if isinstance(args[0], str) else None
            if p:
                for f in [f for f in fs.files if f == p or f.startswith(p + "/")]:
                    del fs.files[f]
            return None
        if name == "Exists":
            return isinstance(args[0], str) and norm_path(args[0]) in fs.files
        return Unknown("fs." + name)

    def write(self, fs, path, content):
        if isinstance(path, Unknown):
            self.rec.bad.append("path: " + path.why)
            return
        if isinstance(content, Unknown) or not isinstance(content, (str, bytes)):
            fs.files[norm_path(path)] = Unknown(content.why if isinstance(content, Unknown) else "non-string")
            return
        fs.files[norm_path(path)] = content

    def harness_method(self, th, name, args, x):
        if name in ("WriteK", "WriteC"):
            head = ("\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" if name == "WriteK"
                    else "\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n")
            path = args[0]
            content = args[1]
            full = head + content if isinstance(content, str) else content
            self.write(th.fs, os.path.join(path, "kustomization.yaml") if isinstance(path, str) else path, full)
            return None
        if name == "WriteF":
            self.write(th.fs, args[0], args[1])
            return None
        if name in ("MakeDefaultOptions", "MakeOptionsPluginsDisabled"):
            return self.default_options()
        if name == "MakeOptionsPluginsEnabled":
            o = self.default_options()
            o.f_PluginConfig.enabled = True
            return o
        if name == "Run":
            return self.record(args[0], args[1], None, "ok", x, th)
        if name == "RunWithErr":
            return self.record(args[0], args[1], None, "err", x, th)
        if name == "GetRoot":
            return th.root
        if name == "MkDir":
            return os.path.join(th.root, args[0])
        if name == "GetFSys":
            return th.fs
        if name == "ErrIfNoHelm":
            return None
        if name == "Reset":
            if th.root != "/":
                th.fs.files.clear()
            return None
        if name in ("PrepBuiltin",):
            return th
        if name in ("BuildGoPlugin", "PrepExecPlugin"):
            self.rec.needs.add("go or exec plugin (%s)" % name)
            return th
        if name == "WriteLegacyConfigs":
            self.write(th.fs, args[0], Unknown("builtin default field specs"))
            return None
        if name in ("AssertActualEqualsExpected", "AssertActualEqualsExpectedNoIdAnnotations",
                    "AssertActualEqualsExpectedWithTweak", "GetT"):
            return None
        if name == "GetPluginConfig":
            return Obj("pluginconfig", enabled=True, f_HelmConfig=Struct())
        return Unknown("th." + name)

    def record(self, path, opts, opts2, mode, x, th=None):
        fs = th.fs if th is not None else path
        if th is None:  # Kustomizer.Run(fSys, dir)
            fs, path, opts = path, opts, opts2
        rec = self.rec
        rec.cases.append({
            "line": x[1],
            "subtest": list(rec.subtest),
            "files": dict(fs.files) if isinstance(fs, Obj) and fs.kind == "fs" else None,
            "dir": path,
            "opts": opts,
            "mode": mode,
            "root": th.root if th is not None else ROOT_MARK,
            "enhanced": th.enhanced if th is not None else False,
            "needs": set(rec.needs),
            "bad": list(rec.bad),
        })
        return Unknown("run result")

    def run_test(self, name):
        params, body = self.decls["funcs"][name]
        self.rec = Recorder(self.test_file, name)
        self.rec.needs, self.rec.bad, self.rec.notes = set(), [], set()
        env = Env(self.globals)
        env.define(params[0] if params else "t", Obj("pkg", name="t"))
        try:
            self.run_block(body, env)
        except (FailNow, ReturnExc):
            pass
        return self.rec.cases


# ------------------------------------------------------------------ corpus


def slug(s):
    s = re.sub(r"[^A-Za-z0-9]+", "-", s).strip("-")
    return s or "x"


def opts_flags(opts, helm):
    """kubectl flags matching the krusty.Options a test built with."""
    flags = []
    if not isinstance(opts, Obj) or opts.kind != "options":
        return flags, None
    lr = getattr(opts, "f_LoadRestrictions", None)
    if isinstance(lr, Obj) and lr.kind == "symbol" and lr.name.endswith("LoadRestrictionsNone"):
        flags += ["--load-restrictor", "LoadRestrictionsNone"]
    if getattr(opts, "f_AddManagedbyLabel", False) is True:
        flags.append("--enable-managedby-label")
    ro = getattr(opts, "f_Reorder", None)
    if isinstance(ro, Obj) and ro.kind == "symbol":
        if ro.name.endswith("ReorderOptionNone"):
            flags += ["--reorder", "none"]
        elif ro.name.endswith("ReorderOptionLegacy"):
            flags += ["--reorder", "legacy"]
    pc = getattr(opts, "f_PluginConfig", None)
    helm_on = False
    if isinstance(pc, Obj):
        hc = getattr(pc, "f_HelmConfig", None)
        if isinstance(hc, (Struct, dict)) and hc.get("Enabled") is True:
            helm_on = True
        fnspec = getattr(pc, "f_FnpLoadingOptions", None)
        if fnspec is not None:
            return flags, "function plugin options"
    return flags, ("helm" if helm_on else None)


NETWORK_RE = re.compile(r"(https?://|github\.com/|gitlab\.com|git@|ssh://|file://|repo:\s)", re.I)
PLUGIN_KIND_RE = re.compile(r"config\.kubernetes\.io/function|someteam\.example\.com|\n\s*kind:\s*(ExecPlugin|"
                            r"PrintPluginEnv|SomeServiceGenerator|StringPrefixer|DatePrefixer|SecretsFromDatabase|"
                            r"BashedConfigMap|SedTransformer)\b")


def drop_reason(case):
    if case["bad"]:
        return "input not evaluable by the extractor (%s)" % case["bad"][0]
    files = case["files"]
    if files is None:
        return "input not evaluable by the extractor (file system)"
    for content in files.values():
        if isinstance(content, Unknown):
            return "input not evaluable by the extractor (%s)" % content.why
    if case["needs"]:
        return "needs Go/exec/function plugins"
    if not isinstance(case["dir"], str):
        return "input not evaluable by the extractor"
    if not files:
        return "writes no files"
    for p, content in files.items():
        if isinstance(content, str) and PLUGIN_KIND_RE.search(content):
            return "needs Go/exec/function plugins"
    for p, content in files.items():
        base = os.path.basename(p)
        if isinstance(content, str) and base in ("kustomization.yaml", "kustomization.yml", "Kustomization") \
                and NETWORK_RE.search(content):
            return "needs the network (remote resource or chart)"
        if isinstance(content, str) and "helmCharts" in content and "repo:" in content:
            return "needs the network (remote resource or chart)"
    for p, content in files.items():
        if isinstance(content, str) and (ROOT_MARK in content or re.search(r"(?m)^\s*-\s+/\w", content)
                                         and base_is_kust(p)):
            return "absolute paths of the test's file system"
    if os.path.isabs(case["dir"]) and not (case["dir"] == "/" or case["dir"].startswith(case["root"])):
        pass
    return None


def base_is_kust(p):
    return os.path.basename(p) in ("kustomization.yaml", "kustomization.yml", "Kustomization")


def rel_to_root(p, root):
    p = norm_path(p)
    if root != "/" and (p == root or p.startswith(root + "/")):
        p = p[len(root):]
    if p.startswith(ROOT_MARK):
        p = p[len(ROOT_MARK):]
    p = p.lstrip("/")
    return p or "."


def kubectl_error(err):
    """kubectl's error message, out of its klog line (`E... "command failed" err="..."`
    or `err=<` followed by tab-indented lines and ` >`)."""
    m = re.search(r'"command failed" err=(".*")\s*$', err, re.M)
    if m:
        return unquote_go(m.group(1))
    m = re.search(r'"command failed" err=<\n((?:\t.*\n?)*)', err)
    if m:
        return "\n".join(l[1:] for l in m.group(1).splitlines())
    lines = [l for l in err.splitlines() if l.strip() and not l.startswith("# Warning")]
    return "\n".join(lines)


def stable_phrase(errs, tmp):
    """One line of kubectl's error with nothing that changes between runs: of
    the stretches of its first line between the temporary directory and Go
    pointers, and of their ': '-separated parts, the longest one that every
    run's message holds (kubectl's errors can name objects in a random order)."""
    def first_line(err):
        line = next((l for l in err.splitlines() if l.strip()), "(no message)").strip()
        return line[len("Error: "):] if line.startswith("Error: ") else line
    parts = []
    for p in re.split(re.escape(tmp) + r"/?|0x[0-9a-f]{6,}", first_line(errs[0])):
        parts.append(p.strip(" '"))
        parts.extend(x.strip(" '") for x in p.split(": "))
    stable = [p for p in parts if p and all(p in e for e in errs)]
    best = max(stable, key=len) if stable else first_line(errs[0])
    return best[:200]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.abspath(os.path.join(here, "..", "..", ".."))
    ap.add_argument("--mirror", default=os.environ.get("KUSTOMIZE_MIRROR",
                                                       "/work/.mirror/kubernetes-sigs+kustomize/repo"))
    ap.add_argument("--tag", default="kustomize/v5.5.0")
    ap.add_argument("--out", default=here)
    ap.add_argument("--kubectl", default=os.environ.get("KUBECTL", "kubectl"))
    ap.add_argument("--helm", default=os.path.join(repo, "build", "tools", "helm", "helm"))
    ap.add_argument("--only", default="")
    ap.add_argument("--dry", action="store_true", help="extract and list, run nothing, write nothing")
    ap.add_argument("--no-unshare", action="store_true", help="do not isolate kubectl from the network")
    args = ap.parse_args()

    def git(*a):
        return subprocess.run(["git", "-C", args.mirror] + list(a), check=True,
                              stdout=subprocess.PIPE).stdout

    names = [n for n in git("ls-tree", "--name-only", args.tag, "api/krusty/").decode().split()
             if n.endswith("_test.go")]

    testdata_cache = {}

    def read_testdata(src):
        if src in testdata_cache:
            return testdata_cache[src]
        testdata_cache[src] = out = read_testdata_uncached(src)
        return out

    def read_testdata_uncached(src):
        base = os.path.normpath(os.path.join("api/krusty", src))
        out = {}
        for f in git("ls-tree", "-r", "--name-only", args.tag, base + "/").decode().split("\n"):
            if f:
                out[os.path.relpath(f, base)] = git("show", "%s:%s" % (args.tag, f)).decode()
        return out

    use_unshare = not args.no_unshare and shutil.which("unshare") and subprocess.run(
        ["unshare", "-n", "true"], stderr=subprocess.DEVNULL).returncode == 0
    if not use_unshare:
        print("warning: cannot isolate kubectl from the network (unshare -n); cases that"
              " reach it may be kept", file=sys.stderr)

    dropped = {}
    cases = []
    parsed = []
    package = {"funcs": {}, "consts": [], "types": {}}
    for path in sorted(names):
        src = git("show", "%s:%s" % (args.tag, path)).decode()
        try:
            decls = Parser(tokenize(src)).file()
        except Exception as e:  # noqa: BLE001 - report and go on
            print("cannot parse %s: %s" % (path, e), file=sys.stderr)
            dropped.setdefault("file not parsed by the extractor", []).append(path)
            continue
        parsed.append((path, decls))
        # one Go package: helpers of one file are used by tests of another
        package["funcs"].update(decls["funcs"])
        package["consts"].extend(decls["consts"])
        package["types"].update(decls["types"])
    for path, decls in parsed:
        stem = os.path.basename(path)[:-len("_test.go")]
        for fname in decls["funcs"]:
            if not fname.startswith("Test") or decls["funcs"][fname][1] is None:
                continue
            interp = Interp(package, path, read_testdata)
            try:
                found = interp.run_test(fname)
            except Exception as e:  # noqa: BLE001
                print("cannot evaluate %s.%s: %s" % (stem, fname, e), file=sys.stderr)
                dropped.setdefault("test not evaluable by the extractor", []).append("%s.%s" % (stem, fname))
                continue
            if not found:
                dropped.setdefault("test builds nothing with the harness", []).append("%s.%s" % (stem, fname))
            for c in found:
                base = [stem, fname[4:] if fname.startswith("Test") else fname] + c["subtest"]
                c["name"] = "--".join(slug(b) for b in base).lower()
                c["source"] = "%s:%d %s%s" % (path, c["line"], fname,
                                              "".join(" / " + s for s in c["subtest"]))
                cases.append(c)
    # number repeated names (several builds in one test)
    counts = {}
    for c in cases:
        counts[c["name"]] = counts.get(c["name"], 0) + 1
    idx = {}
    for c in cases:
        if counts[c["name"]] > 1:
            idx[c["name"]] = idx.get(c["name"], 0) + 1
            c["name"] = "%s--%d" % (c["name"], idx[c["name"]])
        if len(c["name"]) > 120:
            c["name"] = c["name"][:110].rstrip("-") + "-" + hashlib.sha1(c["name"].encode()).hexdigest()[:6]

    if args.only:
        cases = [c for c in cases if args.only in c["name"]]
    elif not args.dry:
        for d in os.listdir(args.out):
            if os.path.isdir(os.path.join(args.out, d)):
                shutil.rmtree(os.path.join(args.out, d))

    n_ok = n_err = 0
    for c in cases:
        reason = drop_reason(c)
        flags, extra = opts_flags(c["opts"], args.helm)
        if reason is None and extra == "function plugin options":
            reason = "needs Go/exec/function plugins"
        if reason:
            dropped.setdefault(reason, []).append(c["name"])
            continue
        if args.dry:
            continue
        if extra == "helm" or any(isinstance(v, str) and "helmCharts" in v for v in c["files"].values()):
            flags += ["--enable-helm", "--helm-command", "HELM"]
        with tempfile.TemporaryDirectory(prefix="krusty-") as tmp:
            indir = os.path.join(tmp, "in")
            os.makedirs(indir)
            for p, content in c["files"].items():
                rel = rel_to_root(p, c["root"])
                full = os.path.join(indir, rel)
                os.makedirs(os.path.dirname(full), exist_ok=True)
                with open(full, "w", encoding="utf-8", newline="") as f:
                    f.write(content)
            build = rel_to_root(c["dir"], c["root"])
            if build.startswith(".."):
                dropped.setdefault("builds outside the files it wrote", []).append(c["name"])
                continue
            os.makedirs(os.path.join(indir, build), exist_ok=True)
            real_flags = [args.helm if f == "HELM" else f for f in flags]
            target = indir if build == "." else os.path.join(indir, build)
            cmd = [args.kubectl, "kustomize", target] + real_flags
            if use_unshare:
                cmd = ["unshare", "-n"] + cmd
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120,
                               cwd=tmp)
            out_err = r.stderr.decode("utf-8", "replace")
            if r.returncode != 0 and re.search(r"(dial tcp|no such host|network is unreachable|"
                                               r"git cloning|failed to run '/usr/bin/git|"
                                               r"could not resolve|Temporary failure in name)", out_err, re.I):
                dropped.setdefault("needs the network (remote resource or chart)", []).append(c["name"])
                continue
            if r.returncode != 0 and re.search(re.escape(tmp) + r"/(?!in\b)", out_err):
                dropped.setdefault("relies on '/..' being '/' in the test's in-memory file system",
                                   []).append(c["name"])
                continue
            if r.returncode != 0 and "version -c --short" in out_err:
                dropped.setdefault("helm chart: kubectl's kustomize v5.5 cannot run the tests' helm v4"
                                   " (it calls `helm version -c`)", []).append(c["name"])
                continue
            if r.returncode != 0 and re.search(r"(unable to load (builtin )?plugin|plugin .* not found|"
                                               r"external plugins disabled|alpha plugins|"
                                               r"function plugins|exec plugin)", out_err, re.I):
                dropped.setdefault("needs Go/exec/function plugins", []).append(c["name"])
                continue
            dest = os.path.join(args.out, c["name"])
            if os.path.exists(dest):
                shutil.rmtree(dest)
            shutil.copytree(indir, os.path.join(dest, "in"))
            with open(os.path.join(dest, "build-dir"), "w") as f:
                f.write(build + "\n")
            if flags:
                with open(os.path.join(dest, "flags"), "w") as f:
                    f.write("\n".join(flags) + "\n")
            with open(os.path.join(dest, "source"), "w") as f:
                f.write(c["source"] + "\n")
            if r.returncode == 0:
                with open(os.path.join(dest, "expected.yaml"), "wb") as f:
                    f.write(r.stdout)
                n_ok += 1
            else:
                errs = [kubectl_error(out_err)]
                for _ in range(19):  # the parts of the message that do not change
                    again = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                           timeout=120, cwd=tmp)
                    errs.append(kubectl_error(again.stderr.decode("utf-8", "replace")))
                phrase = stable_phrase(errs, indir)
                with open(os.path.join(dest, "expected-error.txt"), "w") as f:
                    f.write(phrase + "\n")
                n_err += 1

    total_dropped = sum(len(v) for v in dropped.values())
    print("extracted %d builds from %d test files" % (len(cases), len(names)))
    print("kept %d cases: kubectl builds %d, kubectl fails on %d" % (n_ok + n_err, n_ok, n_err))
    print("dropped %d:" % total_dropped)
    for reason, items in sorted(dropped.items(), key=lambda kv: -len(kv[1])):
        print("  %4d  %s" % (len(items), reason))
        for i in items:
            print("          %s" % i)


if __name__ == "__main__":
    main()
