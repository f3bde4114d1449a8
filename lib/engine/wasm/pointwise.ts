/**
 * The emitted kernels other than GEMM: fused LSTM/GRU/RNN steps over a whole timestep's rows,
 * softmax with cross-entropy, embedding gather and scatter-add, dropout masks, the optimizers'
 * updates and the reductions, all on f32x4 lanes.
 *
 * Every row kernel walks `rows` rows, each from its own row pointer and leading dimension, four
 * columns at a time; the last `cols % 4` columns run the same vector code on one lane
 * (`v128.load32_zero`, `v128.store32_lane`), so a kernel's arithmetic is written once and the
 * tail computes exactly what a full vector would. Pointers are byte addresses in the engine's
 * memory; leading dimensions are in elements.
 *
 * @module
 */

import {
  brIf,
  type Expr,
  f32,
  f32x4,
  f64,
  f64x2,
  forRange,
  type FunctionBuilder,
  i32,
  ifThen,
  type Local,
  loop,
  memory,
  type ModuleBuilder,
  select,
  seq,
  type Stmt,
  v128,
} from "./emit.ts";
import { madder } from "./gemm.ts";
import { SimdMath } from "./math.ts";

/** Loads and stores of four lanes, or of lane 0 alone (the tail of a row). */
interface IO {
  load(p: Local<"i32">, offset?: number): Expr<"v128">;
  store(p: Local<"i32">, v: Expr, offset?: number): Stmt;
}

/** Four lanes, `4·k` floats after the cursors (the `k`-th vector of an unrolled step). */
const vecIO = (k: number): IO => ({
  load: (p, offset = 0) => v128.load(p.get(), offset + 16 * k),
  store: (p, v, offset = 0) => v128.store(p.get(), v, offset + 16 * k),
});

/** Vectors per step of the unrolled main loop: independent work the core can overlap. */
const UNROLL = 4;

const laneIO: IO = {
  load: (p, offset = 0) => v128.load32_zero(p.get(), offset),
  store: (p, v, offset = 0) => v128.store32_lane(p.get(), v, offset, 0),
};

/** A row pointer: its start (advanced by `ld` bytes per row) and the cursor along the row. */
interface RowPtr {
  start: Local<"i32">;
  ld: Expr<"i32">;
  at: Local<"i32">;
}

/**
 * `for r < rows: for j < cols: body` with every pointer's cursor at column `j` of row `r`:
 * sixteen columns a step (the body four times: V8 overlaps independent copies far better than
 * iterations), then four, then the tail one by one.
 */
function rowLoop(
  f: FunctionBuilder,
  rows: Expr<"i32">,
  cols: Local<"i32">,
  ptrs: RowPtr[],
  body: (io: IO) => Stmt[],
): Stmt {
  const r = f.local("i32"), j = f.local("i32");
  const advance = (bytes: number) => ptrs.map((p) => p.at.inc(bytes));
  return forRange(
    r,
    i32.const(0),
    rows,
    1,
    ...ptrs.map((p) => p.at.set(p.start.get())),
    j.set(i32.const(0)),
    ifThen(
      i32.le_s(i32.const(4 * UNROLL), cols.get()),
      loop(
        ...Array.from({ length: UNROLL }, (_, k) => body(vecIO(k))).flat(),
        ...advance(16 * UNROLL),
        j.inc(4 * UNROLL),
        brIf(0, i32.le_s(i32.add(j.get(), i32.const(4 * UNROLL)), cols.get())),
      ),
    ),
    ifThen(
      i32.le_s(i32.add(j.get(), i32.const(4)), cols.get()),
      loop(
        ...body(vecIO(0)),
        ...advance(16),
        j.inc(4),
        brIf(0, i32.le_s(i32.add(j.get(), i32.const(4)), cols.get())),
      ),
    ),
    ifThen(
      i32.lt_s(j.get(), cols.get()),
      loop(...body(laneIO), ...advance(4), j.inc(1), brIf(0, i32.lt_s(j.get(), cols.get()))),
    ),
    ...ptrs.map((p) => p.start.set(i32.add(p.start.get(), p.ld))),
  );
}

/** A row pointer starting at `start` (a parameter) with leading dimension `ld` elements. */
function rowPtr(f: FunctionBuilder, start: Expr<"i32">, ld: Expr<"i32">): [Stmt, RowPtr] {
  const s = f.local("i32"), l = f.local("i32");
  return [
    seq(s.set(start), l.set(i32.shl(ld, i32.const(2)))),
    { start: s, ld: l.get(), at: f.local("i32") },
  ];
}

/** Row pointers to the `count` gate blocks of width `h` that start at `g` (ld `ldg`). */
function gatePtrs(
  f: FunctionBuilder,
  g: Expr<"i32">,
  ldg: Expr<"i32">,
  h: Local<"i32">,
  blocks: number[],
): [Stmt, RowPtr[]] {
  const setup: Stmt[] = [], ptrs: RowPtr[] = [];
  for (const b of blocks) {
    const [s, p] = rowPtr(f, i32.add(g, i32.mul(h.get(), i32.const(4 * b))), ldg);
    setup.push(s), ptrs.push(p);
  }
  return [seq(...setup), ptrs];
}

/** Adds every kernel to `mod`. */
export function emitPointwise(mod: ModuleBuilder, relaxed: boolean): void {
  const madd = madder(relaxed);
  const sub = f32x4.sub, mul = f32x4.mul, add = f32x4.add;

  // ---- copies, fills and vector arithmetic over flat or strided data ----

  mod.func(
    "copy_rows",
    { rows: "i32", cols: "i32", x: "i32", ldx: "i32", y: "i32", ldy: "i32", acc: "i32" },
    "void",
    (p, f) => {
      const [sx, px] = rowPtr(f, p.x.get(), p.ldx.get());
      const [sy, py] = rowPtr(f, p.y.get(), p.ldy.get());
      const r = f.local("i32");
      return [
        sx,
        sy,
        ifThen(
          p.acc.get(),
          rowLoop(f, p.rows.get(), p.cols, [px, py], (io) => [
            io.store(py.at, add(io.load(py.at), io.load(px.at))),
          ]),
          forRange(
            r,
            i32.const(0),
            p.rows.get(),
            1,
            memory.copy(py.start.get(), px.start.get(), i32.shl(p.cols.get(), i32.const(2))),
            px.start.set(i32.add(px.start.get(), px.ld)),
            py.start.set(i32.add(py.start.get(), py.ld)),
          ),
        ),
      ];
    },
  );

  mod.func(
    "add_bias",
    { rows: "i32", cols: "i32", bias: "i32", x: "i32", ldx: "i32" },
    "void",
    (p, f) => {
      const [sb, pb] = rowPtr(f, p.bias.get(), i32.const(0));
      const [sx, px] = rowPtr(f, p.x.get(), p.ldx.get());
      return [
        sb,
        sx,
        rowLoop(f, p.rows.get(), p.cols, [pb, px], (io) => [
          io.store(px.at, add(io.load(px.at), io.load(pb.at))),
        ]),
      ];
    },
  );

  // out[j] (+)= Σ_r x[r, j], summed in float64 in `tmp` (cols doubles), x read row by row.
  mod.func(
    "sum_rows",
    { rows: "i32", cols: "i32", x: "i32", ldx: "i32", out: "i32", acc: "i32", tmp: "i32" },
    "void",
    (p, f) => {
      const r = f.local("i32"), j = f.local("i32"), xp = f.local("i32"), tp = f.local("i32");
      const v = f.local("v128"), s = f.local("f64");
      const hi = (e: Expr) =>
        v128.shuffle(e, e, [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]);
      return [
        memory.fill(p.tmp.get(), i32.const(0), i32.shl(p.cols.get(), i32.const(3))),
        forRange(
          r,
          i32.const(0),
          p.rows.get(),
          1,
          xp.set(i32.add(p.x.get(), i32.shl(i32.mul(r.get(), p.ldx.get()), i32.const(2)))),
          tp.set(p.tmp.get()),
          j.set(i32.const(0)),
          ifThen(
            i32.le_s(i32.const(4), p.cols.get()),
            loop(
              v.set(v128.load(xp.get())),
              v128.store(
                tp.get(),
                f64x2.add(v128.load(tp.get()), f64x2.promote_low_f32x4(v.get())),
              ),
              v128.store(
                tp.get(),
                f64x2.add(v128.load(tp.get(), 16), f64x2.promote_low_f32x4(hi(v.get()))),
                16,
              ),
              xp.inc(16),
              tp.inc(32),
              j.inc(4),
              brIf(0, i32.le_s(i32.add(j.get(), i32.const(4)), p.cols.get())),
            ),
          ),
          ifThen(
            i32.lt_s(j.get(), p.cols.get()),
            loop(
              f64.store(tp.get(), f64.add(f64.load(tp.get()), f64.promote(f32.load(xp.get())))),
              xp.inc(4),
              tp.inc(8),
              j.inc(1),
              brIf(0, i32.lt_s(j.get(), p.cols.get())),
            ),
          ),
        ),
        forRange(
          j,
          i32.const(0),
          p.cols.get(),
          1,
          s.set(f64.load(i32.add(p.tmp.get(), i32.shl(j.get(), i32.const(3))))),
          xp.set(i32.add(p.out.get(), i32.shl(j.get(), i32.const(2)))),
          ifThen(p.acc.get(), s.set(f64.add(s.get(), f64.promote(f32.load(xp.get()))))),
          f32.store(xp.get(), f32.demote(s.get())),
        ),
      ];
    },
  );

  const flat = (
    name: string,
    params: Record<string, "i32" | "f32">,
    ptrNames: string[],
    body: (io: IO, at: Record<string, Local<"i32">>, p: Record<string, Local>) => Stmt[],
  ) =>
    mod.func(name, { len: "i32", ...params }, "void", (p, f) => {
      const setup: Stmt[] = [], ptrs: RowPtr[] = [], at: Record<string, Local<"i32">> = {};
      // scalar parameters become four-lane locals, splatted once before the loop
      const splat: Record<string, Local> = { ...(p as Record<string, Local>) };
      for (const [k, type] of Object.entries(params)) {
        if (type !== "f32") continue;
        const v = f.local("v128");
        setup.push(v.set(f32x4.splat((p as Record<string, Local>)[k].get())));
        splat[k] = v;
      }
      for (const name of ptrNames) {
        const [s, ptr] = rowPtr(
          f,
          (p as Record<string, Local>)[name].get() as Expr<"i32">,
          i32.const(0),
        );
        setup.push(s), ptrs.push(ptr), at[name] = ptr.at;
      }
      return [
        ...setup,
        rowLoop(f, i32.const(1), p.len as Local<"i32">, ptrs, (io) => body(io, at, splat)),
      ];
    });

  flat("fill", { value: "f32", x: "i32" }, ["x"], (io, at, p) => [
    io.store(at.x, p.value.get()),
  ]);
  flat("scale", { alpha: "f32", x: "i32", y: "i32" }, ["x", "y"], (io, at, p) => [
    io.store(at.y, mul(io.load(at.x), p.alpha.get())),
  ]);
  flat("mul", { a: "i32", b: "i32", y: "i32" }, ["a", "b", "y"], (io, at) => [
    io.store(at.y, mul(io.load(at.a), io.load(at.b))),
  ]);
  flat("axpy", { alpha: "f32", x: "i32", y: "i32" }, ["x", "y"], (io, at, p) => [
    io.store(at.y, madd(io.load(at.x), p.alpha.get(), io.load(at.y))),
  ]);

  // Σ x² in float64: two f64x2 accumulators over the promoted halves.
  mod.func("sum_squares", { len: "i32", x: "i32" }, "f64", (p, f) => {
    const [sx, px] = rowPtr(f, p.x.get(), i32.const(0));
    const lo = f.local("v128"), hi = f.local("v128"), v = f.local("v128"), w = f.local("v128");
    return [
      sx,
      rowLoop(f, i32.const(1), p.len, [px], (io) => [
        v.set(io.load(px.at)),
        w.set(f64x2.promote_low_f32x4(v.get())),
        lo.set(f64x2.add(lo.get(), f64x2.mul(w.get(), w.get()))),
        w.set(
          f64x2.promote_low_f32x4(
            v128.shuffle(v.get(), v.get(), [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]),
          ),
        ),
        hi.set(f64x2.add(hi.get(), f64x2.mul(w.get(), w.get()))),
      ]),
      lo.set(f64x2.add(lo.get(), hi.get())),
      f64.add(f64x2.extract_lane(lo.get(), 0), f64x2.extract_lane(lo.get(), 1)),
    ];
  });

  // ---- activations (also exported alone, for the accuracy test) ----

  for (const fn of ["exp", "sigmoid", "tanh"] as const) {
    mod.func(`v${fn}`, { len: "i32", x: "i32", y: "i32" }, "void", (p, f) => {
      const math = new SimdMath(f, relaxed), out = f.local("v128");
      const [sx, px] = rowPtr(f, p.x.get(), i32.const(0));
      const [sy, py] = rowPtr(f, p.y.get(), i32.const(0));
      return [
        sx,
        sy,
        rowLoop(f, i32.const(1), p.len, [px, py], (io) => [
          ...math[fn](io.load(px.at), out),
          io.store(py.at, out.get()),
        ]),
      ];
    });
  }

  // ---- RNN ----

  mod.func(
    "tanh_fwd",
    { rows: "i32", cols: "i32", x: "i32", ldx: "i32", y: "i32", ldy: "i32" },
    "void",
    (p, f) => {
      const math = new SimdMath(f, relaxed), t = f.local("v128");
      const [sx, px] = rowPtr(f, p.x.get(), p.ldx.get());
      const [sy, py] = rowPtr(f, p.y.get(), p.ldy.get());
      return [
        sx,
        sy,
        rowLoop(f, p.rows.get(), p.cols, [px, py], (io) => [
          ...math.tanh(io.load(px.at), t),
          io.store(py.at, t.get()),
        ]),
      ];
    },
  );

  mod.func(
    "tanh_bwd",
    {
      rows: "i32",
      cols: "i32",
      y: "i32",
      ldy: "i32",
      dy: "i32",
      lddy: "i32",
      dx: "i32",
      lddx: "i32",
    },
    "void",
    (p, f) => {
      const v = f.local("v128");
      const [s1, py] = rowPtr(f, p.y.get(), p.ldy.get());
      const [s2, pdy] = rowPtr(f, p.dy.get(), p.lddy.get());
      const [s3, pdx] = rowPtr(f, p.dx.get(), p.lddx.get());
      return [
        s1,
        s2,
        s3,
        rowLoop(f, p.rows.get(), p.cols, [py, pdy, pdx], (io) => [
          v.set(io.load(py.at)),
          io.store(pdx.at, mul(io.load(pdy.at), sub(f.consts.f32(1), mul(v.get(), v.get())))),
        ]),
      ];
    },
  );

  // ---- LSTM ----

  mod.func(
    "lstm_fwd",
    {
      n: "i32",
      h: "i32",
      g: "i32",
      ldg: "i32",
      cp: "i32",
      ldcp: "i32",
      cn: "i32",
      hn: "i32",
      ldo: "i32",
    },
    "void",
    (p, f) => {
      const math = new SimdMath(f, relaxed);
      const [F, G, I, O, C, T] = f.locals("v128", 6);
      const [sg, [gf, gg, gi, go]] = gatePtrs(f, p.g.get(), p.ldg.get(), p.h, [0, 1, 2, 3]);
      const [s1, pcp] = rowPtr(f, p.cp.get(), p.ldcp.get());
      const [s2, pcn] = rowPtr(f, p.cn.get(), p.ldo.get());
      const [s3, phn] = rowPtr(f, p.hn.get(), p.ldo.get());
      return [
        sg,
        s1,
        s2,
        s3,
        rowLoop(f, p.n.get(), p.h, [gf, gg, gi, go, pcp, pcn, phn], (io) => [
          ...math.sigmoid(io.load(gf.at), F),
          io.store(gf.at, F.get()),
          ...math.tanh(io.load(gg.at), G),
          io.store(gg.at, G.get()),
          ...math.sigmoid(io.load(gi.at), I),
          io.store(gi.at, I.get()),
          ...math.sigmoid(io.load(go.at), O),
          io.store(go.at, O.get()),
          C.set(madd(F.get(), io.load(pcp.at), mul(G.get(), I.get()))),
          io.store(pcn.at, C.get()),
          ...math.tanh(C.get(), T),
          io.store(phn.at, mul(O.get(), T.get())),
        ]),
      ];
    },
  );

  mod.func(
    "lstm_bwd",
    {
      n: "i32",
      h: "i32",
      g: "i32",
      dg: "i32",
      ldg: "i32",
      cp: "i32",
      ldcp: "i32",
      cn: "i32",
      ldc: "i32",
      dh: "i32",
      dc: "i32",
    },
    "void",
    (p, f) => {
      const math = new SimdMath(f, relaxed);
      const [F, G, I, O, TC, DH, DS] = f.locals("v128", 7);
      const [sg, [gf, gg, gi, go]] = gatePtrs(f, p.g.get(), p.ldg.get(), p.h, [0, 1, 2, 3]);
      const [sd, [df, dgg, di, dO]] = gatePtrs(f, p.dg.get(), p.ldg.get(), p.h, [0, 1, 2, 3]);
      const [s1, pcp] = rowPtr(f, p.cp.get(), p.ldcp.get());
      const [s2, pcn] = rowPtr(f, p.cn.get(), p.ldc.get());
      const [s3, pdh] = rowPtr(f, p.dh.get(), p.h.get());
      const [s4, pdc] = rowPtr(f, p.dc.get(), p.h.get());
      const oneMinus = (x: Expr) => sub(f.consts.f32(1), x);
      return [
        sg,
        sd,
        s1,
        s2,
        s3,
        s4,
        rowLoop(f, p.n.get(), p.h, [gf, gg, gi, go, df, dgg, di, dO, pcp, pcn, pdh, pdc], (io) => [
          F.set(io.load(gf.at)),
          G.set(io.load(gg.at)),
          I.set(io.load(gi.at)),
          O.set(io.load(go.at)),
          ...math.tanh(io.load(pcn.at), TC),
          DH.set(io.load(pdh.at)),
          // ds = dc + dh·o·(1 − tanh(c)²)
          DS.set(
            madd(
              mul(DH.get(), O.get()),
              oneMinus(mul(TC.get(), TC.get())),
              io.load(pdc.at),
            ),
          ),
          io.store(df.at, mul(mul(DS.get(), io.load(pcp.at)), mul(F.get(), oneMinus(F.get())))),
          io.store(dgg.at, mul(mul(DS.get(), I.get()), oneMinus(mul(G.get(), G.get())))),
          io.store(di.at, mul(mul(DS.get(), G.get()), mul(I.get(), oneMinus(I.get())))),
          io.store(dO.at, mul(mul(DH.get(), TC.get()), mul(O.get(), oneMinus(O.get())))),
          io.store(pdc.at, mul(DS.get(), F.get())),
        ]),
      ];
    },
  );

  // ---- GRU ----

  mod.func(
    "gru_gates",
    {
      n: "i32",
      h: "i32",
      g: "i32",
      ldg: "i32",
      hp: "i32",
      ldhp: "i32",
      rh: "i32",
      ldrh: "i32",
    },
    "void",
    (p, f) => {
      const math = new SimdMath(f, relaxed), Z = f.local("v128");
      const [sg, [gz, gr]] = gatePtrs(f, p.g.get(), p.ldg.get(), p.h, [0, 1]);
      const [s1, php] = rowPtr(f, p.hp.get(), p.ldhp.get());
      const [s2, prh] = rowPtr(f, p.rh.get(), p.ldrh.get());
      return [
        sg,
        s1,
        s2,
        rowLoop(f, p.n.get(), p.h, [gz, gr, php, prh], (io) => [
          ...math.sigmoid(io.load(gz.at), Z),
          io.store(gz.at, Z.get()),
          ...math.sigmoid(io.load(gr.at), Z),
          io.store(gr.at, Z.get()),
          io.store(prh.at, mul(Z.get(), io.load(php.at))),
        ]),
      ];
    },
  );

  mod.func(
    "gru_out",
    {
      n: "i32",
      h: "i32",
      g: "i32",
      ldg: "i32",
      hp: "i32",
      ldhp: "i32",
      hn: "i32",
      ldhn: "i32",
    },
    "void",
    (p, f) => {
      const math = new SimdMath(f, relaxed), Z = f.local("v128"), HH = f.local("v128");
      const [sg, [gz, gh]] = gatePtrs(f, p.g.get(), p.ldg.get(), p.h, [0, 2]);
      const [s1, php] = rowPtr(f, p.hp.get(), p.ldhp.get());
      const [s2, phn] = rowPtr(f, p.hn.get(), p.ldhn.get());
      return [
        sg,
        s1,
        s2,
        rowLoop(f, p.n.get(), p.h, [gz, gh, php, phn], (io) => [
          Z.set(io.load(gz.at)),
          ...math.tanh(io.load(gh.at), HH),
          io.store(gh.at, HH.get()),
          // (1 − z)·hPrev + z·ĥ
          io.store(
            phn.at,
            madd(Z.get(), HH.get(), mul(sub(f.consts.f32(1), Z.get()), io.load(php.at))),
          ),
        ]),
      ];
    },
  );

  mod.func(
    "gru_bwd_zh",
    {
      n: "i32",
      h: "i32",
      g: "i32",
      dg: "i32",
      ldg: "i32",
      hp: "i32",
      ldhp: "i32",
      dhn: "i32",
      dhp: "i32",
    },
    "void",
    (p, f) => {
      const [Z, HH, DH] = f.locals("v128", 3);
      const [sg, [gz, gh]] = gatePtrs(f, p.g.get(), p.ldg.get(), p.h, [0, 2]);
      const [sd, [dz, dhh]] = gatePtrs(f, p.dg.get(), p.ldg.get(), p.h, [0, 2]);
      const [s1, php] = rowPtr(f, p.hp.get(), p.ldhp.get());
      const [s2, pdhn] = rowPtr(f, p.dhn.get(), p.h.get());
      const [s3, pdhp] = rowPtr(f, p.dhp.get(), p.h.get());
      return [
        sg,
        sd,
        s1,
        s2,
        s3,
        rowLoop(f, p.n.get(), p.h, [gz, gh, dz, dhh, php, pdhn, pdhp], (io) => [
          Z.set(io.load(gz.at)),
          HH.set(io.load(gh.at)),
          DH.set(io.load(pdhn.at)),
          io.store(
            dhh.at,
            mul(mul(DH.get(), Z.get()), sub(f.consts.f32(1), mul(HH.get(), HH.get()))),
          ),
          io.store(
            dz.at,
            mul(
              mul(DH.get(), sub(HH.get(), io.load(php.at))),
              mul(Z.get(), sub(f.consts.f32(1), Z.get())),
            ),
          ),
          io.store(pdhp.at, mul(DH.get(), sub(f.consts.f32(1), Z.get()))),
        ]),
      ];
    },
  );

  mod.func(
    "gru_bwd_r",
    {
      n: "i32",
      h: "i32",
      g: "i32",
      dg: "i32",
      ldg: "i32",
      hp: "i32",
      ldhp: "i32",
      dhr: "i32",
      dhp: "i32",
    },
    "void",
    (p, f) => {
      const [R, D] = f.locals("v128", 2);
      const [sg, [gr]] = gatePtrs(f, p.g.get(), p.ldg.get(), p.h, [1]);
      const [sd, [dr]] = gatePtrs(f, p.dg.get(), p.ldg.get(), p.h, [1]);
      const [s1, php] = rowPtr(f, p.hp.get(), p.ldhp.get());
      const [s2, pdhr] = rowPtr(f, p.dhr.get(), p.h.get());
      const [s3, pdhp] = rowPtr(f, p.dhp.get(), p.h.get());
      return [
        sg,
        sd,
        s1,
        s2,
        s3,
        rowLoop(f, p.n.get(), p.h, [gr, dr, php, pdhr, pdhp], (io) => [
          R.set(io.load(gr.at)),
          D.set(io.load(pdhr.at)),
          io.store(pdhp.at, madd(R.get(), D.get(), io.load(pdhp.at))),
          io.store(
            dr.at,
            mul(mul(D.get(), io.load(php.at)), mul(R.get(), sub(f.consts.f32(1), R.get()))),
          ),
        ]),
      ];
    },
  );

  // ---- softmax ----

  // Per row: m = max x; y = exp(x − m) with Σ in float64; y /= Σ. Writes (m: f32, Σ: f64)
  // to stats[r] (16 bytes a row). y may alias x.
  mod.func(
    "softmax_rows",
    { rows: "i32", cols: "i32", x: "i32", y: "i32", stats: "i32" },
    "void",
    (p, f) => {
      const math = new SimdMath(f, relaxed);
      const r = f.local("i32"), j = f.local("i32");
      const xp = f.local("i32"), yp = f.local("i32"), row = f.local("i32");
      const M = f.local("v128"), E = f.local("v128"), acc = f.local("v128"), m = f.local("f32");
      const accs = f.locals("v128", 4), Ms = f.locals("v128", 2);
      const sum = f.local("f64"), inv = f.local("v128");
      const hiHalf = (e: Expr) =>
        v128.shuffle(e, e, [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]);
      const lanes = (e: Expr, op: (a: Expr, b: Expr) => Expr<"f32">) =>
        op(
          op(f32x4.extract_lane(e, 0), f32x4.extract_lane(e, 1)),
          op(f32x4.extract_lane(e, 2), f32x4.extract_lane(e, 3)),
        );
      // one pass along the row: UNROLL vectors a step, then vectors, then single floats
      const overRow = (vec: (k: number) => Stmt[], tail: Stmt[]) =>
        seq(
          xp.set(row.get()),
          yp.set(i32.add(p.y.get(), i32.sub(row.get(), p.x.get()))),
          j.set(i32.const(0)),
          ifThen(
            i32.le_s(i32.const(4 * UNROLL), p.cols.get()),
            loop(
              ...Array.from({ length: UNROLL }, (_, k) => vec(k)).flat(),
              xp.inc(16 * UNROLL),
              yp.inc(16 * UNROLL),
              j.inc(4 * UNROLL),
              brIf(0, i32.le_s(i32.add(j.get(), i32.const(4 * UNROLL)), p.cols.get())),
            ),
          ),
          ifThen(
            i32.le_s(i32.add(j.get(), i32.const(4)), p.cols.get()),
            loop(
              ...vec(0),
              xp.inc(16),
              yp.inc(16),
              j.inc(4),
              brIf(0, i32.le_s(i32.add(j.get(), i32.const(4)), p.cols.get())),
            ),
          ),
          ifThen(
            i32.lt_s(j.get(), p.cols.get()),
            loop(...tail, xp.inc(4), yp.inc(4), j.inc(1), brIf(0, i32.lt_s(j.get(), p.cols.get()))),
          ),
        );
      return [
        forRange(
          r,
          i32.const(0),
          p.rows.get(),
          1,
          row.set(i32.add(p.x.get(), i32.shl(i32.mul(r.get(), p.cols.get()), i32.const(2)))),
          // max
          Ms[0].set(v128.f32(-Infinity)),
          Ms[1].set(v128.f32(-Infinity)),
          m.set(f32.const(-Infinity)),
          overRow(
            // pmax keeps M when x is NaN, as the plain kernel's `x > max` does
            (k) => [Ms[k % 2].set(f32x4.pmax(Ms[k % 2].get(), v128.load(xp.get(), 16 * k)))],
            [m.set(select(f32.load(xp.get()), m.get(), f32.gt(f32.load(xp.get()), m.get())))],
          ),
          m.set(f32.max(m.get(), lanes(f32x4.pmax(Ms[0].get(), Ms[1].get()), f32.max))),
          M.set(f32x4.splat(m.get())),
          // exp and sum
          ...accs.map((a) => a.set(v128.f32(0))),
          sum.set(f64.const(0)),
          overRow(
            (k) => [
              ...math.exp(f32x4.sub(v128.load(xp.get(), 16 * k), M.get()), E),
              v128.store(yp.get(), E.get(), 16 * k),
              // float64 accumulators, two chains per half
              accs[k % 2].set(f64x2.add(accs[k % 2].get(), f64x2.promote_low_f32x4(E.get()))),
              accs[2 + k % 2].set(
                f64x2.add(accs[2 + k % 2].get(), f64x2.promote_low_f32x4(hiHalf(E.get()))),
              ),
            ],
            [
              ...math.exp(f32x4.sub(v128.load32_zero(xp.get()), M.get()), E),
              v128.store32_lane(yp.get(), E.get(), 0, 0),
              sum.set(f64.add(sum.get(), f64.promote(f32x4.extract_lane(E.get(), 0)))),
            ],
          ),
          acc.set(
            f64x2.add(
              f64x2.add(accs[0].get(), accs[1].get()),
              f64x2.add(accs[2].get(), accs[3].get()),
            ),
          ),
          sum.set(
            f64.add(
              sum.get(),
              f64.add(f64x2.extract_lane(acc.get(), 0), f64x2.extract_lane(acc.get(), 1)),
            ),
          ),
          f32.store(i32.add(p.stats.get(), i32.shl(r.get(), i32.const(4))), m.get()),
          f64.store(i32.add(p.stats.get(), i32.shl(r.get(), i32.const(4))), sum.get(), 8),
          // normalise
          inv.set(f32x4.splat(f32.demote(f64.div(f64.const(1), sum.get())))),
          overRow(
            (
              k,
            ) => [v128.store(yp.get(), f32x4.mul(v128.load(yp.get(), 16 * k), inv.get()), 16 * k)],
            [f32.store(yp.get(), f32.mul(f32.load(yp.get()), f32x4.extract_lane(inv.get(), 0)))],
          ),
        ),
      ];
    },
  );

  // dx = scale·(y − onehot(label)) per row; rows labelled `ignore` get zeros. dx may alias y.
  mod.func(
    "softmax_xent_bwd",
    {
      rows: "i32",
      cols: "i32",
      y: "i32",
      labels: "i32",
      ignore: "i32",
      scale: "f32",
      dx: "i32",
    },
    "void",
    (p, f) => {
      const r = f.local("i32"), t = f.local("i32"), at = f.local("i32"), sc = f.local("v128");
      const [s1, py] = rowPtr(f, p.y.get(), i32.const(0));
      const [s2, pdx] = rowPtr(f, p.dx.get(), i32.const(0));
      const bytes = i32.shl(p.cols.get(), i32.const(2));
      return [
        s1,
        s2,
        sc.set(f32x4.splat(p.scale.get())),
        forRange(
          r,
          i32.const(0),
          p.rows.get(),
          1,
          t.set(i32.load(i32.add(p.labels.get(), i32.shl(r.get(), i32.const(2))))),
          ifThen(
            i32.eq(t.get(), p.ignore.get()),
            memory.fill(pdx.start.get(), i32.const(0), bytes),
            seq(
              rowLoop(f, i32.const(1), p.cols, [py, pdx], (io) => [
                io.store(pdx.at, mul(io.load(py.at), sc.get())),
              ]),
              at.set(i32.add(pdx.start.get(), i32.shl(t.get(), i32.const(2)))),
              f32.store(at.get(), f32.sub(f32.load(at.get()), p.scale.get())),
            ),
          ),
          py.start.set(i32.add(py.start.get(), bytes)),
          pdx.start.set(i32.add(pdx.start.get(), bytes)),
        ),
      ];
    },
  );

  // dx = y ⊙ (dout − Σ dout·y) per row (Σ in float64).
  mod.func(
    "softmax_bwd",
    { rows: "i32", cols: "i32", y: "i32", dout: "i32", dx: "i32" },
    "void",
    (p, f) => {
      const r = f.local("i32"), acc = f.local("v128"), v = f.local("v128"), s = f.local("v128");
      const [s1, py] = rowPtr(f, p.y.get(), i32.const(0));
      const [s2, pg] = rowPtr(f, p.dout.get(), i32.const(0));
      const [s3, pdx] = rowPtr(f, p.dx.get(), i32.const(0));
      const next = (ptr: RowPtr) =>
        ptr.start.set(i32.add(ptr.start.get(), i32.shl(p.cols.get(), i32.const(2))));
      return [
        s1,
        s2,
        s3,
        forRange(
          r,
          i32.const(0),
          p.rows.get(),
          1,
          acc.set(v128.f32(0)),
          rowLoop(f, i32.const(1), p.cols, [py, pg], (io) => [
            v.set(mul(io.load(py.at), io.load(pg.at))),
            acc.set(f64x2.add(acc.get(), f64x2.promote_low_f32x4(v.get()))),
            acc.set(
              f64x2.add(
                acc.get(),
                f64x2.promote_low_f32x4(
                  v128.shuffle(v.get(), v.get(), [
                    8,
                    9,
                    10,
                    11,
                    12,
                    13,
                    14,
                    15,
                    0,
                    1,
                    2,
                    3,
                    4,
                    5,
                    6,
                    7,
                  ]),
                ),
              ),
            ),
          ]),
          s.set(
            f32x4.splat(
              f32.demote(
                f64.add(f64x2.extract_lane(acc.get(), 0), f64x2.extract_lane(acc.get(), 1)),
              ),
            ),
          ),
          rowLoop(f, i32.const(1), p.cols, [py, pg, pdx], (io) => [
            io.store(pdx.at, mul(io.load(py.at), sub(io.load(pg.at), s.get()))),
          ]),
          next(py),
          next(pg),
          next(pdx),
        ),
      ];
    },
  );

  // ---- embedding ----

  mod.func(
    "gather",
    { rows: "i32", cols: "i32", ids: "i32", W: "i32", out: "i32" },
    "void",
    (p, f) => {
      const r = f.local("i32"), bytes = f.local("i32");
      return [
        bytes.set(i32.shl(p.cols.get(), i32.const(2))),
        forRange(
          r,
          i32.const(0),
          p.rows.get(),
          1,
          memory.copy(
            i32.add(p.out.get(), i32.mul(r.get(), bytes.get())),
            i32.add(
              p.W.get(),
              i32.mul(i32.load(i32.add(p.ids.get(), i32.shl(r.get(), i32.const(2)))), bytes.get()),
            ),
            bytes.get(),
          ),
        ),
      ];
    },
  );

  mod.func(
    "scatter_add",
    { rows: "i32", cols: "i32", ids: "i32", dout: "i32", dW: "i32" },
    "void",
    (p, f) => {
      const r = f.local("i32");
      const [s1, pd] = rowPtr(f, p.dout.get(), i32.const(0));
      const [s2, pw] = rowPtr(f, p.dW.get(), i32.const(0));
      const bytes = i32.shl(p.cols.get(), i32.const(2));
      return [
        s1,
        forRange(
          r,
          i32.const(0),
          p.rows.get(),
          1,
          s2,
          pw.start.set(
            i32.add(
              p.dW.get(),
              i32.mul(i32.load(i32.add(p.ids.get(), i32.shl(r.get(), i32.const(2)))), bytes),
            ),
          ),
          rowLoop(f, i32.const(1), p.cols, [pd, pw], (io) => [
            io.store(pw.at, add(io.load(pw.at), io.load(pd.at))),
          ]),
          pd.start.set(i32.add(pd.start.get(), bytes)),
        ),
      ];
    },
  );

  // ---- dropout: sfc32 as Rng.nextUint32, uniform as Rng.uniform ----

  mod.func(
    "dropout",
    {
      len: "i32",
      ratio: "f64",
      keep: "f32",
      state: "i32",
      x: "i32",
      mask: "i32",
      out: "i32",
    },
    "void",
    (p, f) => {
      const [s0, s1, s2, s3, t, hi, i] = f.locals("i32", 7);
      const m = f.local("f32"), at = f.local("i32");
      const next = (into: Local<"i32">, shift: number): Stmt[] => [
        t.set(i32.add(i32.add(s0.get(), s1.get()), s3.get())),
        s3.inc(1),
        s0.set(i32.xor(s1.get(), i32.shr_u(s1.get(), i32.const(9)))),
        s1.set(i32.add(s2.get(), i32.shl(s2.get(), i32.const(3)))),
        s2.set(i32.add(i32.rotl(s2.get(), i32.const(21)), t.get())),
        into.set(i32.shr_u(t.get(), i32.const(shift))),
      ];
      const uniform = f64.mul(
        f64.add(
          f64.mul(f64.convert_i32_u(hi.get()), f64.const(67108864)),
          f64.convert_i32_u(t.get()),
        ),
        f64.const(1 / 9007199254740992),
      );
      return [
        s0.set(i32.load(p.state.get())),
        s1.set(i32.load(p.state.get(), 4)),
        s2.set(i32.load(p.state.get(), 8)),
        s3.set(i32.load(p.state.get(), 12)),
        forRange(
          i,
          i32.const(0),
          p.len.get(),
          1,
          ...next(hi, 5),
          ...next(t, 6),
          m.set(select(p.keep.get(), f32.const(0), f64.gt(uniform, p.ratio.get()))),
          at.set(i32.shl(i.get(), i32.const(2))),
          f32.store(i32.add(p.mask.get(), at.get()), m.get()),
          f32.store(
            i32.add(p.out.get(), at.get()),
            f32.mul(f32.load(i32.add(p.x.get(), at.get())), m.get()),
          ),
        ),
        i32.store(p.state.get(), s0.get()),
        i32.store(p.state.get(), s1.get(), 4),
        i32.store(p.state.get(), s2.get(), 8),
        i32.store(p.state.get(), s3.get(), 12),
      ];
    },
  );

  // ---- optimizers: float64 arithmetic per element, as the plain kernels ----

  /**
   * A flat update over `len` floats: `inputs` are the arrays read (and `outputs` those written,
   * a subset), `step` computes the new values from float64 pairs.
   */
  const update = (
    name: string,
    hyper: string[],
    arrays: string[],
    step: (v: Record<string, Expr>, h: Record<string, Expr>) => Record<string, Expr>,
  ) =>
    mod.func(
      name,
      {
        len: "i32",
        ...Object.fromEntries(hyper.map((k) => [k, "f64" as const])),
        ...Object.fromEntries(arrays.map((k) => [k, "i32" as const])),
      },
      "void",
      (p, f) => {
        const params = p as Record<string, Local>;
        const setup: Stmt[] = [], ptrs: Record<string, RowPtr> = {};
        for (const a of arrays) {
          const [s, ptr] = rowPtr(f, params[a].get() as Expr<"i32">, i32.const(0));
          setup.push(s), ptrs[a] = ptr;
        }
        const raw = Object.fromEntries(arrays.map((a) => [a, f.local("v128")]));
        const lo = Object.fromEntries(arrays.map((a) => [a, f.local("v128")]));
        const hi = Object.fromEntries(arrays.map((a) => [a, f.local("v128")]));
        const hl = Object.fromEntries(hyper.map((k) => [k, f.local("v128")]));
        for (const k of hyper) setup.push(hl[k].set(f64x2.splat(params[k].get())));
        const h = Object.fromEntries(hyper.map((k) => [k, hl[k].get()]));
        h.one = f.consts.f64(1);
        h.tiny = f.consts.f64(1e-7);
        const outs = Object.keys(step(
          Object.fromEntries(arrays.map((a) => [a, lo[a].get()])),
          h,
        ));
        const resLo = Object.fromEntries(outs.map((a) => [a, f.local("v128")]));
        const resHi = Object.fromEntries(outs.map((a) => [a, f.local("v128")]));
        const half = (src: Record<string, Local<"v128">>, dst: Record<string, Local<"v128">>) => {
          const r = step(Object.fromEntries(arrays.map((a) => [a, src[a].get()])), h);
          return outs.map((o) => dst[o].set(r[o]));
        };
        const swap = (e: Expr) =>
          v128.shuffle(e, e, [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]);
        return [
          ...setup,
          rowLoop(f, i32.const(1), p.len as Local<"i32">, Object.values(ptrs), (io) => [
            ...arrays.map((a) => raw[a].set(io.load(ptrs[a].at))),
            ...arrays.map((a) => lo[a].set(f64x2.promote_low_f32x4(raw[a].get()))),
            ...arrays.map((a) => hi[a].set(f64x2.promote_low_f32x4(swap(raw[a].get())))),
            ...half(lo, resLo),
            ...half(hi, resHi),
            ...outs.map((o) =>
              io.store(
                ptrs[o].at,
                v128.shuffle(
                  f64x2.demote_to_f32x4(resLo[o].get()),
                  f64x2.demote_to_f32x4(resHi[o].get()),
                  [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23],
                ),
              )
            ),
          ]),
        ];
      },
    );

  const dmul = f64x2.mul, dadd = f64x2.add, dsub = f64x2.sub, ddiv = f64x2.div;
  const denom = (x: Expr, h: Record<string, Expr>) => dadd(f64x2.sqrt(x), h.tiny);

  update("sgd", ["lr"], ["p", "g"], (v, h) => ({ p: dsub(v.p, dmul(h.lr, v.g)) }));
  update("momentum", ["lr", "mom"], ["p", "g", "v"], (v, h) => {
    const vn = dsub(dmul(h.mom, v.v), dmul(h.lr, v.g));
    return { v: vn, p: dadd(v.p, vn) };
  });
  update("nesterov", ["lr", "mom"], ["p", "g", "v"], (v, h) => {
    const vn = dsub(dmul(h.mom, v.v), dmul(h.lr, v.g));
    const p2 = dsub(
      dadd(v.p, dmul(dmul(h.mom, h.mom), vn)),
      dmul(dmul(dadd(h.one, h.mom), h.lr), v.g),
    );
    return { v: vn, p: p2 };
  });
  update("adagrad", ["lr"], ["p", "g", "h"], (v, h) => {
    const hn = dadd(v.h, dmul(v.g, v.g));
    return { h: hn, p: dsub(v.p, ddiv(dmul(h.lr, v.g), denom(hn, h))) };
  });
  update("rmsprop", ["lr", "decay"], ["p", "g", "h"], (v, h) => {
    const hn = dadd(dmul(v.h, h.decay), dmul(dmul(dsub(h.one, h.decay), v.g), v.g));
    return { h: hn, p: dsub(v.p, ddiv(dmul(h.lr, v.g), denom(hn, h))) };
  });
  update("adam", ["lrT", "b1", "b2"], ["p", "g", "m", "v"], (v, h) => {
    const mn = dadd(v.m, dmul(dsub(h.one, h.b1), dsub(v.g, v.m)));
    const vn = dadd(v.v, dmul(dsub(h.one, h.b2), dsub(dmul(v.g, v.g), v.v)));
    return { m: mn, v: vn, p: dsub(v.p, ddiv(dmul(h.lrT, mn), denom(vn, h))) };
  });
}
