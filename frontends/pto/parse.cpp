// .pto text -> functions of statements (frontends/pto/ast.h).
//
// The dialect is read as PTOAS prints it: one op per line (an op may go on
// over more lines: see split_lines); a line ending in
// '{' opens a region (func.func, scf.for, scf.if), a line "}" closes it and
// "} else {" switches scf.if to its else region. Types and attributes
// (!pto.tile_buf<...>, #pto.kernel_kind<cube>) are single tokens whose
// insides the expander reads when it needs them.
#include <cctype>
#include <cstdlib>
#include <unordered_map>

#include "frontends/pto/ast.h"
#include "frontends/pto/pto.h"

namespace pto {

namespace {

enum class T { Value, Symbol, Ident, Number, String, Type, Attr, Punct };

struct Tok {
  T kind;
  std::string text;
};

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '$'; }

class Parser {
 public:
  Parser(std::string_view text, const std::string& file) : text_(text), file_(file) {}

  Module run() {
    Module m;
    m.file = file_;
    split_lines();
    aliases();
    size_t i = 0;
    int module_depth = 0;
    while (i < lines_.size()) {
      const Line& l = lines_[i];
      cur_ = &l;
      pos_ = 0;
      if (is("module")) {
        // module (attributes {...})? {
        if (l.toks.back().text != "{") fail(l.no, "expected '{' at the end of the module line");
        ++module_depth;
        ++i;
        continue;
      }
      if (is("}")) {
        if (module_depth == 0 || l.toks.size() != 1) fail(l.no, "unexpected '}'");
        --module_depth;
        ++i;
        continue;
      }
      if (is("func.func")) {
        m.funcs.push_back(parse_func(i));
        continue;
      }
      fail(l.no, "expected func.func or module, got '" + l.toks[0].text + "'" + hint(l.toks[0].text));
    }
    if (module_depth != 0) fail(lines_.empty() ? 1 : lines_.back().no, "the module is not closed ('}' missing)");
    if (m.funcs.empty()) fail(1, "no func.func in the file");
    return m;
  }

 private:
  struct Line {
    uint32_t no;
    std::vector<Tok> toks;
  };

  [[noreturn]] void fail(uint32_t line, const std::string& msg) const {
    throw PtoError(file_ + ":" + std::to_string(line) + ": " + msg);
  }

  static std::string hint(const std::string& op) {
    if (op.rfind("pto.", 0) == 0 || op.rfind("arith.", 0) == 0 || op.rfind("scf.", 0) == 0)
      return " (an op outside a func.func)";
    return "";
  }

  // --- tokens --------------------------------------------------------------

  void split_lines() {
    uint32_t no = 1;
    size_t i = 0;
    Line cur{1, {}};
    const size_t n = text_.size();
    int open = 0;  // '(' and '[' not yet closed on the current op
    auto flush = [&] {
      if (!cur.toks.empty()) lines_.push_back(std::move(cur));
      cur = Line{no, {}};
      open = 0;
    };
    // An op may span lines (MLIR has no line structure): it goes on while a
    // '(' or '[' is open, and onto a next line that cannot start a statement
    // (one that starts with punctuation such as '(', ':', '->' or '{', or
    // with a word without a dot such as `outs` or `attributes`; statements
    // start with a %result, an op name, '}', or return). The op keeps its
    // first line.
    auto goes_on = [&](size_t j) {
      if (cur.toks.empty()) return false;
      if (open > 0) return true;
      while (j < n && (text_[j] == ' ' || text_[j] == '\t' || text_[j] == '\r')) ++j;
      if (j >= n || text_[j] == '\n' || text_[j] == '%' || text_[j] == '}' || text_[j] == '!' || text_[j] == '#' ||
          text_[j] == '^' || text_[j] == '"' || (text_[j] == '/' && j + 1 < n && text_[j + 1] == '/'))
        return false;
      if (!std::isalpha(static_cast<unsigned char>(text_[j])) && text_[j] != '_') return true;
      size_t e = j;
      while (e < n && ident_char(text_[e])) ++e;
      const std::string_view word = text_.substr(j, e - j);
      return word.find('.') == std::string_view::npos && word != "return" && word != "module";
    };
    while (i < n) {
      const char c = text_[i];
      if (c == '\n') {
        ++no;
        ++i;
        if (!goes_on(i)) flush();
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\r') {
        ++i;
        continue;
      }
      if (c == '/' && i + 1 < n && text_[i + 1] == '/') {
        while (i < n && text_[i] != '\n') ++i;
        continue;
      }
      const size_t start = i;
      if (c == '%' || c == '@') {
        ++i;
        while (i < n && (ident_char(text_[i]) || text_[i] == '-')) ++i;
        if (c == '%' && i < n && text_[i] == '#') {  // %r#1: a result of a multi-result op
          ++i;
          while (i < n && std::isdigit(static_cast<unsigned char>(text_[i]))) ++i;
        }
        if (i == start + 1) fail(no, std::string("a lone '") + c + "'");
        cur.toks.push_back({c == '%' ? T::Value : T::Symbol, std::string(text_.substr(start, i - start))});
        continue;
      }
      if (c == '!' || c == '#') {  // a type or an attribute: name, then a balanced <...>
        ++i;
        while (i < n && ident_char(text_[i])) ++i;
        if (i < n && text_[i] == '<') {
          int depth = 0;
          while (i < n) {
            if (text_[i] == '\n') fail(no, "a type or attribute not closed on its line ('>' missing)");
            if (text_[i] == '<') ++depth;
            if (text_[i] == '>' && !(i > 0 && text_[i - 1] == '-')) {
              if (--depth == 0) {
                ++i;
                break;
              }
            }
            ++i;
          }
          if (depth != 0) fail(no, "a type or attribute not closed ('>' missing)");
        }
        cur.toks.push_back({c == '!' ? T::Type : T::Attr, std::string(text_.substr(start, i - start))});
        continue;
      }
      if (c == '"') {
        ++i;
        while (i < n && text_[i] != '"' && text_[i] != '\n') {
          if (text_[i] == '\\' && i + 1 < n) ++i;
          ++i;
        }
        if (i >= n || text_[i] != '"') fail(no, "a string not closed on its line");
        ++i;
        cur.toks.push_back({T::String, std::string(text_.substr(start, i - start))});
        continue;
      }
      if (std::isdigit(static_cast<unsigned char>(c)) ||
          (c == '-' && i + 1 < n && std::isdigit(static_cast<unsigned char>(text_[i + 1])))) {
        ++i;
        while (i < n && (std::isalnum(static_cast<unsigned char>(text_[i])) || text_[i] == '.' ||
                         ((text_[i] == '-' || text_[i] == '+') && (text_[i - 1] == 'e' || text_[i - 1] == 'E'))))
          ++i;
        cur.toks.push_back({T::Number, std::string(text_.substr(start, i - start))});
        continue;
      }
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        while (i < n && ident_char(text_[i])) ++i;
        cur.toks.push_back({T::Ident, std::string(text_.substr(start, i - start))});
        continue;
      }
      if (c == '-' && i + 1 < n && text_[i + 1] == '>') {
        i += 2;
        cur.toks.push_back({T::Punct, "->"});
        continue;
      }
      if (std::string_view("()[]{}<>,:=?*+").find(c) != std::string_view::npos) {
        if (c == '(' || c == '[') ++open;
        if ((c == ')' || c == ']') && open > 0) --open;
        ++i;
        cur.toks.push_back({T::Punct, std::string(1, c)});
        continue;
      }
      fail(no, std::string("unexpected character '") + (std::isprint(static_cast<unsigned char>(c)) ? std::string(1, c) : "\\x" + std::to_string(int(static_cast<unsigned char>(c)))) + "'");
    }
    if (open > 0) fail(cur.no, "an op not closed at the end of the file ('(' or '[' without its ')' or ']')");
    flush();
  }

  // Type and attribute aliases ("!vt = !pto.tile_buf<...>" before their use,
  // outside the module): each use is replaced by what it stands for.
  void aliases() {
    std::unordered_map<std::string, std::string> alias;
    std::vector<Line> rest;
    for (Line& l : lines_) {
      if (l.toks.size() >= 2 && (l.toks[0].kind == T::Type || l.toks[0].kind == T::Attr) && l.toks[1].text == "=") {
        if (l.toks.size() != 3 || l.toks[2].kind != l.toks[0].kind)
          fail(l.no, "an alias is '" + l.toks[0].text + " = ' followed by one type or attribute");
        if (alias.count(l.toks[0].text)) fail(l.no, "alias " + l.toks[0].text + " defined twice");
        alias[l.toks[0].text] = l.toks[2].text;
        continue;
      }
      for (Tok& t : l.toks)
        if (t.kind == T::Type || t.kind == T::Attr) {
          auto it = alias.find(t.text);
          if (it != alias.end()) t.text = it->second;
        }
      rest.push_back(std::move(l));
    }
    lines_ = std::move(rest);
  }

  // --- cursor over the current line -----------------------------------------

  bool at_end() const { return pos_ >= cur_->toks.size(); }
  const Tok& peek() const {
    if (at_end()) fail(cur_->no, "unexpected end of line");
    return cur_->toks[pos_];
  }
  bool is(const char* text) const { return !at_end() && cur_->toks[pos_].text == text; }
  bool accept(const char* text) {
    if (!is(text)) return false;
    ++pos_;
    return true;
  }
  void expect(const char* text) {
    if (!accept(text))
      fail(cur_->no, std::string("expected '") + text + "'" + (at_end() ? " at the end of the line" : ", got '" + peek().text + "'"));
  }
  Tok next() {
    Tok t = peek();
    ++pos_;
    return t;
  }
  std::string value() {
    const Tok t = next();
    if (t.kind != T::Value) fail(cur_->no, "expected an SSA value (%name), got '" + t.text + "'");
    return t.text;
  }
  Operand operand() {
    const Tok t = next();
    if (t.kind == T::Value) return Operand{t.text, 0};
    if (t.kind == T::Number) {
      char* end = nullptr;
      const long long v = std::strtoll(t.text.c_str(), &end, 10);
      if (*end != '\0') fail(cur_->no, "expected an integer, got '" + t.text + "'");
      return Operand{"", v};
    }
    fail(cur_->no, "expected a value or an integer, got '" + t.text + "'");
  }
  // A type: a !type token or an identifier (index, i32, f32, ...).
  std::string type() {
    const Tok t = next();
    if (t.kind != T::Type && t.kind != T::Ident) fail(cur_->no, "expected a type, got '" + t.text + "'");
    return t.text;
  }
  // Skips a balanced {...} (an attribute dictionary) when one starts here.
  void skip_dict() {
    if (!is("{")) return;
    int depth = 0;
    while (!at_end()) {
      const Tok t = next();
      if (t.text == "{") ++depth;
      if (t.text == "}" && --depth == 0) return;
    }
    fail(cur_->no, "attribute dictionary not closed on its line");
  }
  void end_of_line() {
    if (!at_end()) fail(cur_->no, "unexpected '" + peek().text + "' after " + op_);
  }

  // --- functions ------------------------------------------------------------

  Module::Func parse_func(size_t& i) {
    const Line& l = lines_[i];
    cur_ = &l;
    pos_ = 0;
    op_ = "func.func";
    Module::Func f;
    f.line = l.no;
    expect("func.func");
    (void)(accept("private") || accept("public"));
    const Tok name = next();
    if (name.kind != T::Symbol) fail(l.no, "expected the function's @name, got '" + name.text + "'");
    f.name = name.text.substr(1);
    expect("(");
    while (!accept(")")) {
      if (!f.params.empty()) expect(",");
      Param prm;
      prm.name = value().substr(1);
      expect(":");
      prm.type = type();
      skip_dict();
      if (prm.type.rfind("!pto.ptr<", 0) == 0) {
        prm.pointer = true;
        std::string el = prm.type.substr(9, prm.type.size() - 10);
        const size_t comma = el.find(',');  // "!pto.ptr<f32, gm>": the memory space
        if (comma != std::string::npos) {
          std::string space = el.substr(comma + 1);
          space.erase(0, space.find_first_not_of(' '));
          if (space != "gm") fail(l.no, "parameter %" + prm.name + ": a pointer into '" + space + "' (only gm)");
          el = el.substr(0, comma);
        }
        if (el == "bf16") prm.dtype = isa::DType::BF16;
        else if (el == "f16") prm.dtype = isa::DType::FP16;
        else if (el == "f32") prm.dtype = isa::DType::FP32;
        else if (el == "i32") prm.dtype = isa::DType::INT32;
        else fail(l.no, "parameter %" + prm.name + ": element type '" + el + "' is not supported (npusim has bf16, f16, f32, i32)");
      } else if (prm.type != "index" && prm.type != "i32" && prm.type != "i64" && prm.type != "f32") {
        fail(l.no, "parameter %" + prm.name + ": type '" + prm.type +
                       "' is not supported (a !pto.ptr<...> GM pointer, or index, i32, i64, f32)");
      }
      f.params.push_back(prm);
    }
    if (is("->")) fail(l.no, "func.func @" + f.name + " returns values: a kernel returns none");
    bool kind_given = false;
    if (accept("attributes")) {
      expect("{");
      while (!accept("}")) {
        const Tok key = next();
        if (key.text == ",") continue;
        if (accept("=")) {
          const Tok v = next();
          if (key.text == "pto.kernel_kind") {
            kind_given = true;
            if (v.text == "#pto.kernel_kind<cube>") f.cube = true;
            else if (v.text == "#pto.kernel_kind<vector>") f.cube = false;
            else fail(l.no, "pto.kernel_kind " + v.text + ": expected #pto.kernel_kind<cube> or <vector>");
          } else if (v.text == "{") {
            --pos_;
            skip_dict();
          }
        }
      }
    }
    if (!accept("{")) {
      if (at_end()) fail(l.no, "func.func @" + f.name + " has no body (a declaration cannot be launched)");
      fail(l.no, "unexpected '" + peek().text + "' in the func.func line");
    }
    end_of_line();
    ++i;
    auto fn = std::make_shared<Function>();
    const int closed = parse_block(i, fn->body, true);
    (void)closed;
    f.body = fn;
    if (!kind_given) f.cube = uses_cube_tiles(fn->body);
    for (const Stmt& st : fn->body)
      if (st.op == "pto.import_reserved_buffer") {
        auto it = st.attrs.find("peer_func");
        if (it == st.attrs.end() || it->second.size() < 2 || it->second[0] != '@')
          fail(st.line, "pto.import_reserved_buffer without peer_func = @name");
        f.peer = it->second.substr(1);
      }
    return f;
  }

  static bool uses_cube_tiles(const Block& b) {
    for (const Stmt& s : b) {
      for (const std::string& t : s.types)
        for (const char* loc : {"loc=mat", "loc=left", "loc=right", "loc=acc"})
          if (t.find(loc) != std::string::npos) return true;
      for (const Block& r : s.regions)
        if (uses_cube_tiles(r)) return true;
    }
    return false;
  }

  // Parses statements up to the '}' that closes the block. Returns 1 when it
  // was "} else {" (the caller parses the else region), 0 for "}".
  int parse_block(size_t& i, Block& out, bool func_level) {
    struct Depth {
      int& d;
      explicit Depth(int& x) : d(++x) {}
      ~Depth() { --d; }
    } depth(depth_);
    if (depth_ > kMaxDepth)
      fail(i < lines_.size() ? lines_[i].no : 1, "regions nested more than " + std::to_string(kMaxDepth) + " deep");
    while (i < lines_.size()) {
      const Line& l = lines_[i];
      cur_ = &l;
      pos_ = 0;
      if (is("}")) {
        ++pos_;
        ++i;
        if (at_end()) return 0;
        if (accept("else")) {
          expect("{");
          if (!at_end()) fail(l.no, "unexpected '" + peek().text + "' after '} else {'");
          if (func_level) fail(l.no, "'} else {' closes the function body");
          return 1;
        }
        fail(l.no, "unexpected '" + peek().text + "' after '}'");
      }
      out.push_back(parse_stmt(i));
    }
    fail(lines_.empty() ? 1 : lines_.back().no, "end of file inside a region ('}' missing)");
  }

  Stmt parse_stmt(size_t& i) {
    const Line& l = lines_[i];
    Stmt s;
    s.line = l.no;
    // results
    if (peek().kind == T::Value) {
      const std::string first = value();
      if (accept(":")) {  // %r:2
        const Tok n = next();
        const int count = std::atoi(n.text.c_str());
        if (n.kind != T::Number || count < 1 || count > 64) fail(l.no, "bad result count '" + n.text + "'");
        for (int k = 0; k < count; ++k) s.results.push_back(first + "#" + std::to_string(k));
      } else {
        s.results.push_back(first);
        while (accept(",")) s.results.push_back(value());
      }
      expect("=");
    }
    const Tok opt = next();
    if (opt.kind != T::Ident) fail(l.no, "expected an op name, got '" + opt.text + "'");
    s.op = opt.text;
    op_ = s.op;
    ++i;
    if (s.op == "scf.for") {
      parse_for(s);
      Block body;
      if (parse_block(i, body, false) != 0) fail(s.line, "scf.for has no else region");
      s.regions.push_back(std::move(body));
      return s;
    }
    if (s.op == "scf.if") {
      s.args.push_back(operand());
      if (accept("->")) types_list(s);
      expect("{");
      end_of_line();
      Block then_b, else_b;
      const int more = parse_block(i, then_b, false);
      s.regions.push_back(std::move(then_b));
      if (more) {
        if (parse_block(i, else_b, false) != 0) fail(s.line, "scf.if with two else regions");
        s.regions.push_back(std::move(else_b));
      }
      return s;
    }
    if (s.op == "arith.constant") {
      const Tok v = next();
      if (v.kind != T::Number && v.text != "true" && v.text != "false")
        fail(l.no, "arith.constant " + v.text + ": only integer, float and boolean literals are supported");
      s.attr = v.text;
      if (accept(":")) s.types.push_back(type());
      end_of_line();
      return s;
    }
    if (s.op == "arith.cmpi") {
      s.attr = next().text;
      expect(",");
      s.args.push_back(operand());
      expect(",");
      s.args.push_back(operand());
      expect(":");
      s.types.push_back(type());
      end_of_line();
      return s;
    }
    if (s.op == "pto.make_tensor_view" || s.op == "pto.partition_view") {
      s.args.push_back(operand());
      while (accept(",")) {
        const std::string key = next().text;
        expect("=");
        expect("[");
        std::vector<Operand>& list = s.lists[key];
        while (!accept("]")) {
          if (!list.empty()) expect(",");
          list.push_back(operand());
        }
      }
      skip_dict();
      if (accept(":")) {
        s.types.push_back(type());
        if (accept("->")) s.types.push_back(type());
      }
      end_of_line();
      return s;
    }
    if (s.op == "pto.subview") {  // %v = pto.subview %t[%r, %c] sizes [R, C] (valid [%vr, %vc])? : T -> T
      s.args.push_back(operand());
      expect("[");
      s.args.push_back(operand());
      expect(",");
      s.args.push_back(operand());
      expect("]");
      while (!at_end() && !is(":")) {
        const Tok key = next();
        if (key.kind != T::Ident) fail(l.no, "pto.subview: unexpected '" + key.text + "'");
        std::vector<Operand>& list = s.lists[key.text];
        expect("[");
        while (!accept("]")) {
          if (!list.empty()) expect(",");
          list.push_back(operand());
        }
      }
      expect(":");
      s.types.push_back(type());
      if (accept("->")) s.types.push_back(type());
      end_of_line();
      return s;
    }
    if (s.op == "pto.load_scalar" || s.op == "pto.load") {  // %v = pto.load_scalar %ptr[%i] : T -> T (load: its newer name)
      s.args.push_back(operand());
      expect("[");
      s.args.push_back(operand());
      expect("]");
      if (accept(":")) {
        s.types.push_back(type());
        if (accept("->")) s.types.push_back(type());
      }
      end_of_line();
      return s;
    }
    if (s.op == "pto.alloc_tile") {
      while (!at_end() && !is(":")) {
        const Tok key = next();
        if (key.kind != T::Ident) fail(l.no, "pto.alloc_tile: unexpected '" + key.text + "'");
        expect("=");
        s.named[key.text] = operand();
      }
      expect(":");
      s.types.push_back(type());
      end_of_line();
      return s;
    }
    if (s.op.rfind("pto.", 0) == 0 && (is("ins") || is("outs"))) {
      if (accept("ins")) group(s);
      s.n_ins = s.args.size();
      if (accept("outs")) group(s);
      if (is("{")) attr_dict(s);  // after outs(...): {atomicType = ...}, {descending = ...}
      end_of_line();
      return s;
    }
    // The generic form: operands, then ": type" (and "to type" for casts).
    if (s.op == "scf.yield" || s.op == "return" || s.op == "func.return" || s.op.rfind("arith.", 0) == 0 ||
        s.op.rfind("pto.get_", 0) == 0 || s.op == "pto.set_validshape") {
      if (!at_end() && !is(":")) {
        s.args.push_back(operand());
        while (accept(",")) s.args.push_back(operand());
      }
      if (accept(":")) {
        s.types.push_back(type());
        while (accept(",")) s.types.push_back(type());
        if (accept("to")) s.types.push_back(type());
      }
      end_of_line();
      return s;
    }
    if (is_pipe_op(s.op)) {
      // The cube -> vector hand-off: pto.tpush_to_aiv(%t : T) {split = 1},
      // %v = pto.tpop_from_aic {split = 1} -> T, pto.aic_initialize_pipe
      // {attrs} (key = %v : T, ...), %b = pto.reserve_buffer {attrs} -> i32.
      while (!at_end()) {
        if (accept("(")) {
          while (!accept(")")) {
            if (!s.args.empty() || !s.named.empty()) expect(",");
            if (peek().kind == T::Ident) {
              const std::string key = next().text;
              expect("=");
              s.named[key] = operand();
            } else {
              s.args.push_back(operand());
            }
            if (accept(":")) s.types.push_back(type());
          }
        } else if (is("{")) {
          attr_dict(s);
        } else if (accept("->")) {
          s.types.push_back(type());
        } else {
          fail(l.no, "unexpected '" + peek().text + "' in " + s.op);
        }
      }
      return s;
    }
    // Any other op: kept by name; the expander rejects what it does not know
    // (so the message is the same whatever its syntax). One that opens a
    // region is rejected here: its body is not read.
    if (cur_->toks.back().text == "{")
      fail(s.line, "unsupported op '" + s.op + "' (not in npusim's PTO subset, docs/pto_import.md)");
    pos_ = cur_->toks.size();
    return s;
  }

  static bool is_pipe_op(const std::string& op) {
    return op == "pto.import_reserved_buffer" || op == "pto.reserve_buffer" || op == "pto.aic_initialize_pipe" ||
           op == "pto.aiv_initialize_pipe" || op == "pto.tpush_to_aiv" || op == "pto.tpop_from_aic" ||
           op == "pto.tfree_from_aic";
  }

  // {key = value, ...}: each value one token (a number, a string, @symbol,
  // #attr, true/false), kept as written.
  void attr_dict(Stmt& s) {
    expect("{");
    for (size_t n = 0; !accept("}"); ++n) {
      if (n) expect(",");
      const Tok key = next();
      if (key.kind != T::Ident) fail(cur_->no, s.op + ": expected an attribute name, got '" + key.text + "'");
      expect("=");
      const Tok v = next();
      if (v.kind == T::Punct) fail(cur_->no, s.op + ": attribute " + key.text + ": unexpected '" + v.text + "'");
      if (!s.attrs.emplace(key.text, v.text).second) fail(cur_->no, s.op + ": attribute " + key.text + " given twice");
    }
  }

  // ins(%a, %b {attrs} : T1, T2) / outs(...): the attributes go to s.attrs
  // (the expander says which of them each op may have).
  void group(Stmt& s) {
    expect("(");
    size_t n = 0;
    while (!is(":") && !is(")")) {
      if (n++) expect(",");
      if (is("{")) {  // in an operand's place: pto.tgather ins(%src, {maskPattern = ...} : T)
        attr_dict(s);
        continue;
      }
      s.args.push_back(operand());
      if (is("{")) attr_dict(s);
    }
    if (accept(":")) {
      s.types.push_back(type());
      while (accept(",")) s.types.push_back(type());
    }
    expect(")");
  }

  void types_list(Stmt& s) {
    if (accept("(")) {
      while (!accept(")")) {
        if (accept(",")) continue;
        s.types.push_back(type());
      }
    } else {
      s.types.push_back(type());
    }
  }

  // scf.for %i = %lb to %ub step %s (iter_args(%a = %x, ...) -> (types))? {
  void parse_for(Stmt& s) {
    s.iv = value();
    expect("=");
    s.args.push_back(operand());
    expect("to");
    s.args.push_back(operand());
    expect("step");
    s.args.push_back(operand());
    if (accept(":")) type();
    if (accept("iter_args")) {
      expect("(");
      while (!accept(")")) {
        if (!s.iter_args.empty()) expect(",");
        s.iter_args.push_back(value());
        expect("=");
        s.iter_init.push_back(operand());
      }
      expect("->");
      types_list(s);
    }
    expect("{");
    end_of_line();
    if (s.results.size() != s.iter_args.size() && !(s.results.empty()))
      fail(s.line, "scf.for has " + std::to_string(s.results.size()) + " results but " +
                       std::to_string(s.iter_args.size()) + " iter_args");
  }

  static constexpr int kMaxDepth = 64;
  int depth_ = 0;
  std::string_view text_;
  std::string file_;
  std::vector<Line> lines_;
  const Line* cur_ = nullptr;
  size_t pos_ = 0;
  std::string op_;
};

}  // namespace

const Module::Func* Module::find(std::string_view name) const {
  for (const Func& f : funcs)
    if (f.name == name) return &f;
  return nullptr;
}

Module parse_module(std::string_view text, const std::string& file) { return Parser(text, file).run(); }

}  // namespace pto
