#include "workloads/blocks.h"

#include <algorithm>
#include <vector>

namespace workloads::blocks {

using isa::DType;
using isa::Space;

namespace {
uint32_t u(int64_t v) { return uint32_t(v); }
}  // namespace

void rmsnorm(KernelBuilder& k, const GmTensor& x, const GmTensor& gamma, const GmTensor& dst, int64_t row0,
             int64_t rows, int64_t chunk, int stages, float eps) {
  const int64_t H = x.cols;
  const Shape2 cs{u(rows), u(chunk)};
  k.section("sum of squares");
  LTile sq_sum = k.fill({u(rows), 1}, DType::FP32, 0.0f);
  k.loop(0, H, chunk, stages, [&](int64_t k0) {
    LTile xt = k.slice(x, cs, {row0, k0});
    if (xt.dtype() != DType::FP32) xt = k.cast(xt, DType::FP32);
    LTile sq = k.mul(xt, xt);
    LTile rs = k.row_sum(sq);
    k.add(sq_sum, rs, sq_sum);  // the loop-carried sum stays in its buffer
  });
  LTile inv = k.muls(sq_sum, 1.0f / float(H));
  inv = k.adds(inv, eps);
  inv = k.recip(k.sqrt(inv));
  k.section("normalize");
  k.loop(0, H, chunk, stages, [&](int64_t k0) {
    LTile xt = k.slice(x, cs, {row0, k0});
    if (xt.dtype() != DType::FP32) xt = k.cast(xt, DType::FP32);
    LTile g = k.slice(gamma, {1, u(chunk)}, {0, k0});
    LTile n = k.col_expand_mul(k.row_expand_mul(xt, inv), g);
    k.assemble(dst, k.cast(n, DType::BF16), {row0, k0});
  });
}

LTile projection(KernelBuilder& k, const GmTensor& a, int64_t row0, int64_t rows, const GmTensor& w, int64_t col0,
                 int64_t ncols, int64_t K, int64_t kstep, int stages) {
  LTile acc;
  k.loop(0, K, kstep, stages, [&](int64_t k0) {
    LTile ta = k.slice(a, {u(rows), u(kstep)}, {row0, k0}, Space::L1);
    LTile tb = k.slice(w, {u(kstep), u(ncols)}, {k0, col0}, Space::L1);
    acc = k0 == 0 ? k.matmul(ta, tb) : k.matmul_acc(acc, ta, tb);
  });
  return acc;
}

Rotated rope_halves(KernelBuilder& k, const LTile& lo, const LTile& hi, const LTile& cos_lo, const LTile& cos_hi,
                    const LTile& sin_lo, const LTile& sin_hi) {
  // Emitting calls are sequenced (builder.h): operands into named tiles first.
  LTile rl, rh;
  {
    LTile hs = k.col_expand_mul(hi, sin_lo);
    LTile lc = k.col_expand_mul(lo, cos_lo);
    rl = k.sub(lc, hs);
  }
  {
    LTile ls = k.col_expand_mul(lo, sin_hi);
    LTile hc = k.col_expand_mul(hi, cos_hi);
    rh = k.add(hc, ls);
  }
  return {k.cast(rl, DType::BF16), k.cast(rh, DType::BF16)};
}

void online_softmax_combine(KernelBuilder& k, LTile& oi, LTile& mi, LTile& li, const LTile& ot, const LTile& mt,
                            const LTile& lt) {
  LTile m_new = k.max(mi, mt);
  LTile alpha = k.exp(k.sub(mi, m_new));
  LTile beta = k.exp(k.sub(mt, m_new));
  // Operands into named tiles, the right one first (what gcc did with the
  // nested calls these replace).
  {
    LTile bl = k.mul(beta, lt);
    LTile al = k.mul(alpha, li);
    k.add(al, bl, li);
  }
  {
    LTile bo = k.row_expand_mul(ot, beta);
    LTile ao = k.row_expand_mul(oi, alpha);
    k.add(ao, bo, oi);
  }
  mi = m_new;
}

LTile silu_mul(KernelBuilder& k, const LTile& g, const LTile& up) {
  LTile t = k.recip(k.adds(k.exp(k.neg(g)), 1.0f));
  return k.mul(k.mul(g, t), up);
}

void mixed_residual(KernelBuilder& k, const MixedResidual& m) {
  const int64_t nv = std::min<int64_t>(k.target().vector_cores, m.rows);
  std::vector<int64_t> r0(static_cast<size_t>(nv)), nr(static_cast<size_t>(nv));
  for (int64_t v = 0, r = 0; v < nv; ++v) {  // the first rows % nv cores take one row more
    nr[size_t(v)] = m.rows / nv + (v < m.rows % nv ? 1 : 0);
    r0[size_t(v)] = r;
    r += nr[size_t(v)];
  }
  std::vector<LTile> res(static_cast<size_t>(nv));
  k.section("residual");
  for (int64_t v = 0; v < nv; ++v) {  // the vector cores prefetch their residual rows
    k.on_vec(int(v));
    LTile& rv = res[size_t(v)];
    rv = k.slice(m.resid, {u(nr[size_t(v)]), u(m.n)}, {m.row0 + r0[size_t(v)], m.col0});
    if (rv.dtype() != DType::FP32) rv = k.cast(rv, DType::FP32);
  }
  k.section("matmul");
  LTile acc = projection(k, m.a, m.row0, m.rows, m.w, m.col0, m.n, m.K, m.kstep, m.stages);
  std::vector<Channel> ch(static_cast<size_t>(nv));
  for (int64_t v = 0; v < nv; ++v) {
    ch[size_t(v)] = k.channel(m.scratch, {u(nr[size_t(v)]), u(m.n)}, {m.row0 + r0[size_t(v)], m.col0}, {},
                              /*on_chip=*/true);
    k.send(ch[size_t(v)], nr[size_t(v)] == m.rows ? acc : k.view(acc, {u(nr[size_t(v)]), u(m.n)}, u(r0[size_t(v)]), 0));
  }
  k.section("residual");
  for (int64_t v = 0; v < nv; ++v) {
    k.on_vec(int(v));
    LTile y = k.add(k.recv(ch[size_t(v)]), res[size_t(v)]);
    if (m.dst.dtype != DType::FP32) y = k.cast(y, m.dst.dtype);
    k.assemble(m.dst, y, {m.row0 + r0[size_t(v)], m.col0});
  }
  k.on_vec(0);
}

void Attention::qk(KernelBuilder& k, int64_t b, int64_t g, int64_t s0, int64_t s1) const {
  const int64_t crow0 = cache_row(b, g, 0), ctx = ctx_len(b);
  LTile q = k.slice(q_padded, {u(qpad), u(D)}, {q_row(b, g, 0), 0}, Space::L1);
  k.loop(s0, s1, 1, 1, [&](int64_t sb) {  // the chunk's blocks: a plain loop
    const int64_t vl = std::min(block, ctx - sb * block);
    LTile kt = k.slice(k_cache, {u(block), u(D)}, {crow0 + sb * block, 0}, Space::L1, {u(vl), u(D)});
    LTile sc = k.matmul(q, kt, /*transpose_b=*/true);
    k.assemble(scores, sc, {slot(b, g, sb) * qpad, 0});
  });
}

void Attention::softmax(KernelBuilder& k, int64_t b, int64_t g, int64_t sb) const {
  const int64_t vl = std::min(block, ctx_len(b) - sb * block);
  LTile s = k.slice(scores, {u(qheads), u(block)}, {slot(b, g, sb) * qpad, 0}, Space::UB, {u(qheads), u(vl)});
  s = k.fillpad(s, kMaskedScore);
  s = k.muls(s, scale);
  LTile m = k.row_max(s);
  LTile e = k.exp(k.row_expand_sub(s, m));
  LTile eb = k.cast(e, DType::BF16);
  LTile l = k.row_sum(k.cast(eb, DType::FP32));
  k.assemble(exp, eb, {slot(b, g, sb) * qpad, 0});
  k.assemble(m_blocks, m, {slot(b, g, sb) * qheads, 0});
  k.assemble(l_blocks, l, {slot(b, g, sb) * qheads, 0});
}

void Attention::sv(KernelBuilder& k, int64_t b, int64_t g, int64_t sb) const {
  const int64_t vl = std::min(block, ctx_len(b) - sb * block);
  LTile e = k.slice(exp, {u(qpad), u(block)}, {slot(b, g, sb) * qpad, 0}, Space::L1);
  LTile vt = k.slice(v_cache, {u(block), u(D)}, {cache_row(b, g, 0) + sb * block, 0}, Space::L1, {u(vl), u(D)});
  LTile o = k.matmul(vl == block ? e : k.view(e, {u(qpad), u(vl)}), vt);
  k.assemble(o_blocks, o, {slot(b, g, sb) * qpad, 0});
}

void Attention::online(KernelBuilder& k, int64_t b, int64_t g) const {
  LTile oi, mi, li;
  k.loop(0, blocks_of(b), 1, 1, [&](int64_t sb) {  // pl.range over the blocks
    LTile ot = k.slice(o_blocks, {u(qheads), u(D)}, {slot(b, g, sb) * qpad, 0});
    LTile mt = k.slice(m_blocks, {u(qheads), 1}, {slot(b, g, sb) * qheads, 0});
    LTile lt = k.slice(l_blocks, {u(qheads), 1}, {slot(b, g, sb) * qheads, 0});
    if (sb == 0) {
      oi = ot, mi = mt, li = lt;
      return;
    }
    online_softmax_combine(k, oi, mi, li, ot, mt, lt);
  });
  LTile ctxt = k.cast(k.row_expand_div(oi, li), DType::BF16);
  k.assemble(out, k.reshape(ctxt, {1, u(qheads * D)}), {b, g * qheads * D});
}

}  // namespace workloads::blocks
