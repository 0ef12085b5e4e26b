#include "isa/text.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace isa {

// ---------------------------------------------------------------------------
// Opcode table, shared by the printer, the parser and the validator.

namespace {

struct FlagWord {
  uint8_t bit;
  const char* word;
};
constexpr FlagWord kFlagWords[] = {{kAccumulate, "acc"}, {kTransposeB, "tb"}, {kAtomicAdd, "atomic_add"}, {kDescending, "desc"}};

struct KindName {
  TensorKind kind;
  const char* name;
};
constexpr KindName kKindNames[] = {{TensorKind::In, "in"},
                                   {TensorKind::Out, "out"},
                                   {TensorKind::InOut, "inout"},
                                   {TensorKind::Scratch, "scratch"}};

const char* kind_name(TensorKind k) {
  for (const auto& e : kKindNames)
    if (e.kind == k) return e.name;
  throw ProgramError("bad tensor kind " + std::to_string(int(k)));
}

struct OpAndSub {
  Op op;
  uint8_t sub;
};

// Every mnemonic isa::mnemonic() can produce, mapped back to (op, sub).
const std::unordered_map<std::string, OpAndSub>& mnemonic_table() {
  static const auto table = [] {
    std::unordered_map<std::string, OpAndSub> t;
    for (int i = 0; i < kNumOps; ++i) {
      const Op op = Op(i);
      const int subs = std::max<int>(1, num_subs(op_info(op).subs));
      for (int sub = 0; sub < subs; ++sub) {
        Instr in;
        in.op = op;
        in.sub = uint8_t(sub);
        if (!t.emplace(mnemonic(in), OpAndSub{op, uint8_t(sub)}).second)
          throw std::logic_error("duplicate mnemonic " + mnemonic(in));
      }
    }
    return t;
  }();
  return table;
}

}  // namespace

// ---------------------------------------------------------------------------
// Printing.

namespace {

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9') || c == '.'; }
bool is_word_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

bool is_bare_name(std::string_view s) {
  if (s.empty() || !is_name_start(s[0])) return false;
  for (char c : s)
    if (!is_name_char(c)) return false;
  return true;
}

std::string quote(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string o = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      default:
        if (u < 0x20 || u == 0x7f) {
          o += "\\x";
          o += kHex[u >> 4];
          o += kHex[u & 15];
        } else {
          o += c;
        }
    }
  }
  return o + '"';
}

std::string fmt_name(std::string_view s) { return is_bare_name(s) ? std::string(s) : quote(s); }

// Shortest decimal that reads back to the same float (locale independent).
std::string fmt_float(float f) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, f);
  return std::string(buf, r.ptr);
}

template <class T>
std::string num(T v) {
  return std::to_string(v);
}
std::string num(int8_t v) { return std::to_string(int(v)); }
std::string num(uint8_t v) { return std::to_string(unsigned(v)); }

template <class T, class F>
void print_list(std::string& o, const std::vector<T>& v, F item) {
  o += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) o += ',';
    item(v[i]);
  }
  o += ']';
}

class Printer {
 public:
  explicit Printer(const Program& p) : p_(p) {
    std::unordered_map<std::string_view, int> count;
    for (const Tensor& t : p.tensors) ++count[t.name];
    for (const Tensor& t : p.tensors) refs_.push_back(count[t.name] == 1 ? fmt_name(t.name) : "");
  }

  std::string run() {
    o_ = "# npusim program v1\n";
    for (const Tensor& t : p_.tensors) tensor(t);
    for (size_t i = 0; i < p_.sites.size(); ++i)
      o_ += "site " + num(i) + ' ' + quote(p_.sites[i]) + '\n';
    for (size_t k = 0; k < p_.kernels.size(); ++k) kernel(k, p_.kernels[k]);
    for (size_t b = 0; b < p_.bindings.size(); ++b) binding(b, p_.bindings[b]);
    for (size_t t = 0; t < p_.tasks.size(); ++t) task(t, p_.tasks[t]);
    return std::move(o_);
  }

 private:
  // A tensor by name, or "$index" when the name does not identify it.
  std::string tensor_ref(uint32_t i) const {
    if (i < refs_.size() && !refs_[i].empty()) return refs_[i];
    return "$" + num(i);
  }

  void tensor(const Tensor& t) {
    o_ += "tensor " + fmt_name(t.name) + ' ';
    print_list(o_, t.shape, [&](int64_t d) { o_ += num(d); });
    o_ += std::string(" ") + to_string(t.dtype) + ' ' + kind_name(t.kind);
    if (!t.init.empty()) {
      o_ += " init=";
      print_list(o_, t.init, [&](int32_t v) { o_ += num(v); });
    }
    if (t.role != InputRole::Data) o_ += std::string(" role=") + to_string(t.role);
    o_ += '\n';
  }

  void kernel(size_t index, const Kernel& k) {
    o_ += "kernel " + num(index) + ' ' + fmt_name(k.name) + "\n  cube\n";
    for (const Instr& in : k.cube) instr(in);
    for (size_t v = 0; v < k.vec.size(); ++v) {
      o_ += "  vec " + num(v) + '\n';
      for (const Instr& in : k.vec[v]) instr(in);
    }
    o_ += "end\n";
  }

  // FROM=TO, and +N / -N for an offset. An entry past the tensors (which
  // validate_program rejects) is printed as $index all the same.
  void binding(size_t index, const Binding& b) {
    o_ += "binding " + num(index);
    for (const BoundTensor& e : b.entries) {
      o_ += ' ' + tensor_ref(e.from) + '=' + tensor_ref(e.to);
      if (e.offset > 0) o_ += '+';
      if (e.offset) o_ += num(e.offset);
    }
    o_ += '\n';
  }

  void task(size_t index, const Task& t) {
    o_ += "task " + num(index) + " kernel=" + num(t.kernel) + " site=" + num(t.site);
    if (t.blocks > 1) o_ += " block=" + num(t.block) + '/' + num(t.blocks);
    if (t.binding != kNoBinding) o_ += " binding=" + num(t.binding);
    o_ += " deps=";
    print_list(o_, t.deps, [&](uint32_t d) { o_ += num(d); });
    o_ += " reads=";
    print_list(o_, t.reads, [&](const GmRange& r) { range(r); });
    o_ += " writes=";
    print_list(o_, t.writes, [&](const GmRange& r) { range(r); });
    o_ += '\n';
  }

  void range(const GmRange& r) {
    o_ += tensor_ref(r.tensor) + ':' + num(r.begin) + ".." + num(r.end);
  }

  void tile(const Tile& t) {
    o_ += std::string(to_string(t.space)) + '[' + num(t.offset) + '+' + num(t.rows) + 'x' +
          num(t.cols) + ' ' + to_string(t.dtype);
    // 0 (all of the tile's rows or cols) prints as '*': "valid=0x256" would read as hex.
    const auto all_or = [](uint16_t v) { return v ? num(v) : std::string("*"); };
    if (t.valid_rows || t.valid_cols) o_ += " valid=" + all_or(t.valid_rows) + 'x' + all_or(t.valid_cols);
    o_ += ']';
  }

  void view(const GmView& v) {
    o_ += tensor_ref(v.tensor) + '[' + num(v.offset) + '+' + num(v.rows) + 'x' + num(v.cols) + '/' +
          num(v.row_stride);
    if (v.reg != -1 || v.reg_scale != 0) o_ += " +R" + num(v.reg) + '*' + num(v.reg_scale);
    o_ += ']';
  }

  void operand(const Instr& in, Operand o) {
    switch (o) {
      case Operand::Dst: tile(in.dst); break;
      case Operand::A: tile(in.a); break;
      case Operand::B: tile(in.b); break;
      case Operand::Gm: view(in.gm); break;
      case Operand::Reg: o_ += 'R' + num(in.reg); break;
      case Operand::Imm: o_ += fmt_float(in.imm); break;
    }
  }

  void instr(const Instr& in) {
    const OpInfo& s = op_info(in.op);
    o_ += "    " + mnemonic(in);
    for (int i = 0; i < s.num_slots; ++i) {
      o_ += ' ';
      operand(in, s.slots[i]);
      if (i == 0 && s.arrow) o_ += " <-";
    }
    for (const FlagWord& f : kFlagWords)
      if (in.flags & s.flag_mask & f.bit) o_ += std::string(" ") + f.word;
    // Fields the op does not take: printed only when not default.
    if (const uint8_t n = num_subs(s.subs); n ? in.sub >= n : in.sub != 0) o_ += " sub=" + num(in.sub);
    if (const uint8_t rest = in.flags & ~s.flag_mask) o_ += " flags=" + num(rest);
    if (!s.uses(Operand::Reg) && in.reg != -1) o_ += " reg=" + num(in.reg);
    if (!s.uses(Operand::Imm) && in.imm != 0.0f) o_ += " imm=" + fmt_float(in.imm);
    const auto extra_tile = [&](Operand o, const char* key, const Tile& t) {
      if (s.uses(o) || t == Tile{}) return;
      o_ += key;
      tile(t);
    };
    extra_tile(Operand::Dst, " dst=", in.dst);
    extra_tile(Operand::A, " a=", in.a);
    extra_tile(Operand::B, " b=", in.b);
    if (!s.uses(Operand::Gm) && !(in.gm == GmView{})) {
      o_ += " gm=";
      view(in.gm);
    }
    o_ += " @" + num(in.site) + '\n';
  }

  const Program& p_;
  std::vector<std::string> refs_;  // per tensor: its printed name, "" if ambiguous
  std::string o_;
};

// ---------------------------------------------------------------------------
// Parsing.

class Parser {
 public:
  Parser(std::string_view text, const std::string& filename, SourceMap* map)
      : text_(text), file_(filename), map_(map) {
    if (map_) *map_ = SourceMap{filename, {}, {}, {}, {}};
  }

  Program run() {
    size_t start = 0;
    for (;;) {
      const size_t end = text_.find('\n', start);
      line_ =
          text_.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
      if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
      pos_ = 0;
      ++line_no_;
      statement();
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
    if (in_kernel_) {
      line_no_ = kernel_line_;
      fail("kernel " + num(p_.kernels.size() - 1) + " has no 'end'");
    }
    return std::move(p_);
  }

 private:
  // --- errors and the cursor over the current line ---

  [[noreturn]] void fail(const std::string& msg) const {
    throw ProgramError(file_ + ':' + num(line_no_) + ": " + msg);
  }

  void ws() {
    while (pos_ < line_.size() && (line_[pos_] == ' ' || line_[pos_] == '\t')) ++pos_;
  }
  bool at_end() const { return pos_ >= line_.size(); }
  char peek() const { return at_end() ? '\0' : line_[pos_]; }
  std::string_view rest() const { return line_.substr(pos_); }

  // The token at the cursor, for messages.
  std::string shown() const {
    if (at_end()) return "end of line";
    size_t n = 0;
    while (pos_ + n < line_.size() && line_[pos_ + n] != ' ' && line_[pos_ + n] != '\t' && n < 40)
      ++n;
    return "'" + std::string(line_.substr(pos_, n)) + "'";
  }

  bool accept(std::string_view lit) {
    if (rest().substr(0, lit.size()) != lit) return false;
    pos_ += lit.size();
    return true;
  }
  void expect(std::string_view lit, const std::string& where) {
    if (!accept(lit)) fail("expected '" + std::string(lit) + "' " + where + ", got " + shown());
  }
  void expect_eol() {
    ws();
    if (!at_end()) fail("trailing garbage " + shown());
  }

  std::string_view word() {
    const size_t b = pos_;
    while (pos_ < line_.size() && is_word_char(line_[pos_])) ++pos_;
    return line_.substr(b, pos_ - b);
  }

  template <class T>
  T integer(const std::string& what) {
    T v{};
    const char* b = line_.data() + pos_;
    const auto r = std::from_chars(b, line_.data() + line_.size(), v);
    if (r.ec == std::errc::result_out_of_range) fail(what + " out of range: " + shown());
    if (r.ec != std::errc()) fail("expected " + what + ", got " + shown());
    pos_ += size_t(r.ptr - b);
    return v;
  }

  float floating(const std::string& what) {
    float v = 0;
    const char* b = line_.data() + pos_;
    const auto r = std::from_chars(b, line_.data() + line_.size(), v);
    if (r.ec == std::errc::result_out_of_range) fail(what + " out of float range: " + shown());
    if (r.ec != std::errc()) fail("expected " + what + " (a float), got " + shown());
    pos_ += size_t(r.ptr - b);
    return v;
  }

  std::string quoted() {
    const size_t start = pos_;
    expect("\"", "to open a string");
    std::string s;
    const auto unterminated = [&] {
      pos_ = start;
      fail("unterminated string " + shown());
    };
    for (;;) {
      if (at_end()) unterminated();
      const char c = line_[pos_++];
      if (c == '"') return s;
      if (c != '\\') {
        s += c;
        continue;
      }
      if (at_end()) unterminated();
      const char e = line_[pos_++];
      switch (e) {
        case '"': s += '"'; break;
        case '\\': s += '\\'; break;
        case 'n': s += '\n'; break;
        case 't': s += '\t'; break;
        case 'x': {
          unsigned v = 0;
          const char* b = line_.data() + pos_;
          const auto r = std::from_chars(b, b + std::min<size_t>(2, line_.size() - pos_), v, 16);
          if (r.ec != std::errc() || r.ptr != b + 2) fail("bad \\x escape in string");
          pos_ += 2;
          s += char(v);
          break;
        }
        default: --pos_; fail("bad escape in string: \\" + std::string(1, e));
      }
    }
  }

  std::string name(const std::string& what) {
    if (peek() == '"') return quoted();
    const size_t b = pos_;
    if (is_name_start(peek()))
      while (pos_ < line_.size() && is_name_char(line_[pos_])) ++pos_;
    if (pos_ == b) fail("expected " + what + ", got " + shown());
    return std::string(line_.substr(b, pos_ - b));
  }

  // '[' item (',' item)* ']' or "[]".
  template <class F>
  void list(const std::string& what, F item) {
    expect("[", "to open " + what);
    ws();
    if (accept("]")) return;
    for (;;) {
      item();
      ws();
      if (accept("]")) return;
      expect(",", "or ']' in " + what);
      ws();
    }
  }

  // An index that must continue a 0, 1, 2, ... sequence.
  uint32_t next_index(const std::string& what, size_t expected) {
    ws();
    const auto i = integer<uint32_t>(what + " index");
    if (i != expected)
      fail(what + " index " + num(i) + " out of order (expected " + num(expected) + ")");
    return i;
  }

  // --- ISA operands ---

  uint32_t tensor_ref() {
    if (accept("$")) return integer<uint32_t>("tensor index");
    const size_t b = pos_;
    const std::string n = name("tensor name");
    const auto it = names_.find(n);
    if (it == names_.end()) {
      pos_ = b;
      fail("unknown tensor '" + n + "'");
    }
    if (it->second < 0)
      fail("tensor name '" + n + "' is declared more than once; refer to it as $<index>");
    return uint32_t(it->second);
  }

  DType dtype() {
    ws();
    const size_t b = pos_;
    const std::string_view w = word();
    if (const auto t = parse_dtype(w)) return *t;
    pos_ = b;
    fail("bad dtype " + (w.empty() ? shown() : "'" + std::string(w) + "'") +
         " (expected bf16, fp16, fp32 or int32)");
  }

  Tile tile() {
    Tile t;
    const size_t b = pos_;
    const auto sp = parse_space(word());
    if (!sp) {
      pos_ = b;
      fail("expected a tile (UB[offset+RxC dtype]), got " + shown());
    }
    t.space = *sp;
    const std::string where = "in tile";
    expect("[", where);
    t.offset = integer<uint32_t>("tile offset");
    expect("+", "after the tile offset");
    t.rows = integer<uint16_t>("tile rows");
    expect("x", "between tile rows and cols");
    t.cols = integer<uint16_t>("tile cols");
    t.dtype = dtype();
    ws();
    if (accept("valid=")) {  // '*' (or 0): all of the tile's rows or cols
      t.valid_rows = accept("*") ? 0 : integer<uint16_t>("valid rows");
      expect("x", "between valid rows and cols");
      t.valid_cols = accept("*") ? 0 : integer<uint16_t>("valid cols");
      ws();
    }
    expect("]", "to close the tile");
    return t;
  }

  GmView view() {
    GmView v;
    v.tensor = tensor_ref();
    expect("[", "after the tensor name of a GM view");
    v.offset = integer<int64_t>("view offset");
    expect("+", "after the view offset");
    v.rows = integer<uint32_t>("view rows");
    expect("x", "between view rows and cols");
    v.cols = integer<uint32_t>("view cols");
    expect("/", "before the view row stride");
    v.row_stride = integer<uint32_t>("view row stride");
    ws();
    if (accept("+R")) {
      v.reg = integer<int8_t>("register");
      expect("*", "between the view register and its scale");
      v.reg_scale = integer<int32_t>("register scale");
      ws();
    }
    expect("]", "to close the GM view");
    return v;
  }

  int8_t reg() {
    expect("R", "(a register R0..R15)");
    return integer<int8_t>("register number");
  }

  void operand(Instr& in, Operand o) {
    switch (o) {
      case Operand::Dst: in.dst = tile(); break;
      case Operand::A: in.a = tile(); break;
      case Operand::B: in.b = tile(); break;
      case Operand::Gm: in.gm = view(); break;
      case Operand::Reg: in.reg = reg(); break;
      case Operand::Imm: in.imm = floating("immediate"); break;
    }
  }

  // --- statements ---

  void statement() {
    ws();
    if (at_end() || peek() == '#') return;
    const std::string_view kw = word();
    if (kw.empty()) fail("expected a keyword or mnemonic, got " + shown());
    if (in_kernel_) {
      if (kw == "cube") return cube();
      if (kw == "vec") return vec();
      if (kw == "end") return end_kernel();
      if (kw == "tensor" || kw == "site" || kw == "kernel" || kw == "binding" || kw == "task")
        fail("'" + std::string(kw) + "' inside kernel " + num(p_.kernels.size() - 1) +
             " (missing 'end')");
      return instruction(kw);
    }
    if (kw == "tensor") return tensor();
    if (kw == "site") return site();
    if (kw == "kernel") return kernel();
    if (kw == "binding") return binding();
    if (kw == "task") return task();
    if (kw == "cube" || kw == "vec" || kw == "end" || mnemonic_table().count(std::string(kw)))
      fail("'" + std::string(kw) + "' outside a kernel");
    fail("unknown keyword '" + std::string(kw) + "'");
  }

  void tensor() {
    Tensor t;
    ws();
    t.name = name("tensor name");
    ws();
    list("the tensor shape", [&] { t.shape.push_back(integer<int64_t>("dimension")); });
    t.dtype = dtype();
    ws();
    const size_t b = pos_;
    const std::string_view k = word();
    const auto* e = std::find_if(std::begin(kKindNames), std::end(kKindNames),
                                 [&](const KindName& n) { return k == n.name; });
    if (e == std::end(kKindNames)) {
      pos_ = b;
      fail("bad tensor kind " + shown() + " (expected in, out, inout or scratch)");
    }
    t.kind = e->kind;
    ws();
    if (accept("init="))
      list("the init values", [&] { t.init.push_back(integer<int32_t>("init value")); });
    ws();
    if (accept("role=")) {  // what a functional run generates for it
      const size_t rb = pos_;
      const std::string_view r = word();
      bool found = false;
      for (InputRole x : {InputRole::Data, InputRole::Weight, InputRole::Gain, InputRole::Cache, InputRole::RopeCos,
                          InputRole::RopeSin})
        if (r == to_string(x)) t.role = x, found = true;
      if (!found) {
        pos_ = rb;
        fail("bad tensor role " + shown() + " (expected data, weight, gain, cache, rope_cos or rope_sin)");
      }
    }
    expect_eol();
    const auto [it, fresh] = names_.emplace(t.name, int64_t(p_.tensors.size()));
    if (!fresh) it->second = -1;  // ambiguous from now on
    p_.tensors.push_back(std::move(t));
    if (map_) map_->tensors.push_back(uint32_t(line_no_));
  }

  void site() {
    next_index("site", p_.sites.size());
    ws();
    if (peek() != '"') fail("expected a quoted site label, got " + shown());
    p_.sites.push_back(quoted());
    expect_eol();
  }

  void kernel() {
    next_index("kernel", p_.kernels.size());
    ws();
    Kernel k;
    k.name = name("kernel name");
    expect_eol();
    p_.kernels.push_back(std::move(k));
    if (map_) map_->instrs.push_back({{}});
    in_kernel_ = true;
    kernel_line_ = line_no_;
    stream_ = kNoStream;
  }

  void cube() {
    if (stream_ != kNoStream) fail("'cube' must come once, before the vec streams");
    expect_eol();
    stream_ = kCube;
  }

  void vec() {
    Kernel& k = p_.kernels.back();
    next_index("vec", k.vec.size());
    expect_eol();
    k.vec.emplace_back();
    stream_ = int(k.vec.size()) - 1;
    if (map_) map_->instrs.back().emplace_back();
  }

  void end_kernel() {
    expect_eol();
    in_kernel_ = false;
  }

  void instruction(std::string_view mn) {
    const auto it = mnemonic_table().find(std::string(mn));
    if (it == mnemonic_table().end()) fail("unknown mnemonic '" + std::string(mn) + "'");
    if (stream_ == kNoStream) fail("instruction before 'cube' or 'vec N'");
    const std::string m(mn);
    Instr in;
    in.op = it->second.op;
    in.sub = it->second.sub;
    const OpInfo& s = op_info(in.op);
    for (int i = 0; i < s.num_slots; ++i) {
      ws();
      if (at_end()) fail("missing operand " + num(i + 1) + " of " + m);
      operand(in, s.slots[i]);
      if (i == 0 && s.arrow) {
        ws();
        expect("<-", "after the destination of " + m);
      }
    }
    for (;;) {
      ws();
      if (at_end()) fail("missing site '@N' at the end of " + m);
      if (accept("@")) {
        in.site = integer<uint32_t>("site index");
        expect_eol();
        break;
      }
      const size_t b = pos_;
      const std::string_view w = word();
      if (!w.empty() && accept("=")) {
        field(in, s, w, m);
        continue;
      }
      const auto* f = std::find_if(std::begin(kFlagWords), std::end(kFlagWords),
                                   [&](const FlagWord& fw) { return w == fw.word; });
      if (f != std::end(kFlagWords) && (s.flag_mask & f->bit)) {
        in.flags |= f->bit;
      } else {
        pos_ = b;
        fail("unexpected " + shown() + " in " + m);
      }
    }
    Kernel& k = p_.kernels.back();
    (stream_ == kCube ? k.cube : k.vec[size_t(stream_)]).push_back(in);
    if (map_) map_->instrs.back()[size_t(stream_ + 1)].push_back(uint32_t(line_no_));
  }

  // A `key=value` field of an instruction: only for fields the op does not take.
  void field(Instr& in, const OpInfo& s, std::string_view key, const std::string& m) {
    const auto unused = [&](Operand o) {
      if (s.uses(o))
        fail("'" + std::string(key) + "=' given, but " + m + " takes it as an operand");
    };
    if (key == "sub") {
      in.sub = integer<uint8_t>("sub");
    } else if (key == "flags") {
      in.flags |= integer<uint8_t>("flags");
    } else if (key == "reg") {
      unused(Operand::Reg);
      in.reg = integer<int8_t>("register");
    } else if (key == "imm") {
      unused(Operand::Imm);
      in.imm = floating("immediate");
    } else if (key == "dst") {
      unused(Operand::Dst);
      in.dst = tile();
    } else if (key == "a") {
      unused(Operand::A);
      in.a = tile();
    } else if (key == "b") {
      unused(Operand::B);
      in.b = tile();
    } else if (key == "gm") {
      unused(Operand::Gm);
      in.gm = view();
    } else {
      fail("unknown instruction field '" + std::string(key) + "='");
    }
  }

  GmRange range() {
    GmRange r;
    r.tensor = tensor_ref();
    expect(":", "after the tensor of a GM range");
    r.begin = integer<uint64_t>("range begin");
    expect("..", "in GM range begin..end");
    r.end = integer<uint64_t>("range end");
    return r;
  }

  // Over the tensors declared so far (tensors come first in a program).
  void binding() {
    const uint32_t index = next_index("binding", p_.bindings.size());
    Binding b;
    std::unordered_set<uint32_t> seen;
    for (;;) {
      ws();
      if (at_end()) break;
      const size_t at = pos_;
      BoundTensor e;
      e.from = tensor_ref();
      if (e.from >= p_.tensors.size()) {
        pos_ = at;
        fail("binding " + num(index) + ": tensor $" + num(e.from) + " is not declared (" + num(p_.tensors.size()) +
             " tensors so far)");
      }
      if (!seen.insert(e.from).second) {
        pos_ = at;
        fail("binding " + num(index) + ": tensor '" + p_.tensors[e.from].name + "' is bound twice");
      }
      expect("=", "after the tensor a binding replaces (FROM=TO)");
      e.to = tensor_ref();
      // +N or -N: the views of FROM move by N elements.
      const bool plus = accept("+");
      if (plus && !(peek() >= '0' && peek() <= '9')) fail("expected binding offset (elements), got " + shown());
      if (plus || peek() == '-') e.offset = integer<int64_t>("binding offset (elements)");
      b.entries.push_back(e);
    }
    b.sort();
    p_.bindings.push_back(std::move(b));
    if (map_) map_->bindings.push_back(uint32_t(line_no_));
  }

  void task() {
    const uint32_t index = next_index("task", p_.tasks.size());
    Task t;
    std::unordered_set<std::string> seen;
    for (;;) {
      ws();
      if (at_end()) break;
      const size_t b = pos_;
      const std::string key(word());
      if (key.empty() || !accept("=")) {
        pos_ = b;
        fail("unexpected " + shown() + " in task (expected key=value)");
      }
      if (!seen.insert(key).second) fail("duplicate task field '" + key + "='");
      if (key == "kernel") {
        t.kernel = integer<uint32_t>("kernel index");
      } else if (key == "site") {
        t.site = integer<uint32_t>("site index");
      } else if (key == "block") {  // block=B/N: block B of a pl.spmd launch of N
        t.block = integer<uint32_t>("block index");
        if (!accept("/")) fail("block= expects B/N (block B of N), e.g. block=0/4");
        t.blocks = integer<uint32_t>("block count");
      } else if (key == "binding") {
        t.binding = integer<uint32_t>("binding index");
        if (t.binding == kNoBinding) fail("binding index " + num(t.binding) + " out of range");
      } else if (key == "deps") {
        list("deps", [&] { t.deps.push_back(integer<uint32_t>("task index")); });
      } else if (key == "reads") {
        list("reads", [&] { t.reads.push_back(range()); });
      } else if (key == "writes") {
        list("writes", [&] { t.writes.push_back(range()); });
      } else {
        pos_ = b;
        fail("unknown task field '" + key + "='");
      }
    }
    for (const char* required : {"kernel", "site"})
      if (!seen.count(required)) fail("task " + num(index) + ": missing field '" + required + "='");
    p_.tasks.push_back(std::move(t));
    if (map_) map_->tasks.push_back(uint32_t(line_no_));
  }

  static constexpr int kNoStream = -2, kCube = -1;

  std::string_view text_;
  const std::string& file_;
  SourceMap* map_;
  std::string_view line_;
  size_t pos_ = 0;
  size_t line_no_ = 0;

  Program p_;
  std::unordered_map<std::string, int64_t> names_;  // tensor name -> index, -1 if ambiguous
  bool in_kernel_ = false;
  size_t kernel_line_ = 0;
  int stream_ = kNoStream;  // kCube, a vec index, or kNoStream
};

}  // namespace

std::string print_program(const Program& p) { return Printer(p).run(); }

uint32_t SourceMap::instr(uint32_t kernel, int stream, size_t i) const {
  if (kernel >= instrs.size() || stream < 0 || size_t(stream) >= instrs[kernel].size()) return 0;
  const auto& s = instrs[kernel][size_t(stream)];
  return i < s.size() ? s[i] : 0;
}

uint32_t SourceMap::task(size_t t) const { return t < tasks.size() ? tasks[t] : 0; }

std::string SourceMap::at(uint32_t line) const { return line ? file + ":" + std::to_string(line) + ": " : ""; }

Program parse_program(std::string_view text, const std::string& filename, SourceMap* map) {
  return Parser(text, filename, map).run();
}

}  // namespace isa
