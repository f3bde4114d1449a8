/**
 * A small WebAssembly binary emitter: enough of the format to write saiki's kernels in
 * TypeScript and turn them into a module at load time, with no toolchain and no `.wasm` file.
 *
 * Code is built as expressions: each {@linkcode Expr} holds the bytes of an instruction
 * sequence and the type it leaves on the stack, so kernels read like formulas —
 * `f32x4.add(a.get(), v128.load(p.get(), 16))` — and the emitter only concatenates bytes.
 * A {@linkcode ModuleBuilder} lays out the sections (type, import, function, export, code, and
 * a "name" section for profilers), with unsigned and signed LEB128 for every integer.
 *
 * Opcodes are those of the WebAssembly 2.0 core specification (MVP, bulk memory, fixed-width
 * SIMD) and of the relaxed-SIMD proposal (`f32x4.relaxed_madd`, 0xfd 0x105).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { f32, i32, ModuleBuilder } from "./emit.ts";
 * const mod = new ModuleBuilder();
 * mod.func("add", { a: "f32", b: "f32" }, "f32", (p) => [f32.add(p.a.get(), p.b.get())]);
 * const { exports } = new WebAssembly.Instance(new WebAssembly.Module(mod.toBytes()));
 * assert((exports.add as (a: number, b: number) => number)(1.5, 2) === 3.5);
 * assert(i32.const(5).type === "i32");
 * ```
 *
 * @module
 */

/** A value type. */
export type ValType = "i32" | "i64" | "f32" | "f64" | "v128";
/** What an expression leaves on the stack: a value, or nothing (a statement). */
export type ExprType = ValType | "void";

const VALTYPE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** An instruction sequence and the type of the value it leaves on the stack. */
export interface Expr<T extends ExprType = ExprType> {
  /** The result type (`"void"` for statements). */
  readonly type: T;
  /** The encoded instructions. */
  readonly code: readonly number[];
}

/** A statement: an expression that leaves nothing. */
export type Stmt = Expr<"void">;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`uleb: ${n} is not an unsigned integer`);
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

/** Signed LEB128 (for `i32.const`, `i64.const` within ±2⁵³). */
export function sleb(n: number): number[] {
  if (!Number.isInteger(n)) throw new RangeError(`sleb: ${n} is not an integer`);
  const out: number[] = [];
  for (;;) {
    const byte = ((n % 128) + 128) % 128;
    n = Math.floor(n / 128);
    const signBit = byte & 0x40;
    if ((n === 0 && !signBit) || (n === -1 && signBit)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function bytesOfF32(v: number): number[] {
  return [...new Uint8Array(new Float32Array([v]).buffer)];
}

function bytesOfF64(v: number): number[] {
  return [...new Uint8Array(new Float64Array([v]).buffer)];
}

function utf8(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
}

function expr<T extends ExprType>(type: T, ...parts: (readonly number[] | Expr)[]): Expr<T> {
  const code: number[] = [];
  for (const p of parts) {
    const bytes = "code" in p ? p.code : p;
    for (let i = 0; i < bytes.length; i++) code.push(bytes[i]);
  }
  return { type, code };
}

function check(where: string, e: Expr, type: ExprType): void {
  if (e.type !== type) throw new TypeError(`${where}: operand is ${e.type}, expected ${type}`);
}

/** An operator taking operands of type `arg` and leaving `res`, encoded as `op`. */
function op<T extends ExprType>(name: string, op: number[], arg: ExprType[], res: T) {
  return (...args: Expr[]): Expr<T> => {
    if (args.length !== arg.length) {
      throw new TypeError(`${name}: ${args.length} operands, expected ${arg.length}`);
    }
    args.forEach((a, i) => check(name, a, arg[i]));
    return expr(res, ...args, op);
  };
}

const simd = (n: number) => [0xfd, ...uleb(n)];

/** A memory access: the address operand, a constant byte offset and the alignment (log2). */
function memarg(align: number, offset: number): number[] {
  return [...uleb(align), ...uleb(offset)];
}

function load<T extends ValType>(name: string, opcode: number[], align: number, res: T) {
  return (addr: Expr, offset = 0): Expr<T> => {
    check(name, addr, "i32");
    return expr(res, addr, opcode, memarg(align, offset));
  };
}

function store(name: string, opcode: number[], align: number, value: ValType) {
  return (addr: Expr, v: Expr, offset = 0): Stmt => {
    check(name, addr, "i32");
    check(name, v, value);
    return expr("void", addr, v, opcode, memarg(align, offset));
  };
}

/** `i32` instructions. */
export const i32 = {
  const: (v: number): Expr<"i32"> => expr("i32", [0x41, ...sleb(v | 0)]),
  load: load("i32.load", [0x28], 2, "i32"),
  store: store("i32.store", [0x36], 2, "i32"),
  eqz: op("i32.eqz", [0x45], ["i32"], "i32"),
  eq: op("i32.eq", [0x46], ["i32", "i32"], "i32"),
  ne: op("i32.ne", [0x47], ["i32", "i32"], "i32"),
  lt_s: op("i32.lt_s", [0x48], ["i32", "i32"], "i32"),
  lt_u: op("i32.lt_u", [0x49], ["i32", "i32"], "i32"),
  gt_s: op("i32.gt_s", [0x4a], ["i32", "i32"], "i32"),
  le_s: op("i32.le_s", [0x4c], ["i32", "i32"], "i32"),
  ge_s: op("i32.ge_s", [0x4e], ["i32", "i32"], "i32"),
  add: op("i32.add", [0x6a], ["i32", "i32"], "i32"),
  sub: op("i32.sub", [0x6b], ["i32", "i32"], "i32"),
  mul: op("i32.mul", [0x6c], ["i32", "i32"], "i32"),
  and: op("i32.and", [0x71], ["i32", "i32"], "i32"),
  or: op("i32.or", [0x72], ["i32", "i32"], "i32"),
  xor: op("i32.xor", [0x73], ["i32", "i32"], "i32"),
  shl: op("i32.shl", [0x74], ["i32", "i32"], "i32"),
  shr_s: op("i32.shr_s", [0x75], ["i32", "i32"], "i32"),
  shr_u: op("i32.shr_u", [0x76], ["i32", "i32"], "i32"),
  rotl: op("i32.rotl", [0x77], ["i32", "i32"], "i32"),
  rotr: op("i32.rotr", [0x78], ["i32", "i32"], "i32"),
  trunc_sat_f32_s: op("i32.trunc_sat_f32_s", [0xfc, 0x00], ["f32"], "i32"),
};

/** `cond ? a : b` for two values of one numeric type. */
export function select<T extends ValType>(a: Expr<T>, b: Expr<T>, cond: Expr): Expr<T> {
  if (a.type !== b.type) throw new TypeError(`select: ${a.type} and ${b.type} operands`);
  check("select", cond, "i32");
  return expr(a.type, a, b, cond, [0x1b]);
}

/** `f32` instructions. */
export const f32 = {
  const: (v: number): Expr<"f32"> => expr("f32", [0x43, ...bytesOfF32(v)]),
  load: load("f32.load", [0x2a], 2, "f32"),
  store: store("f32.store", [0x38], 2, "f32"),
  lt: op("f32.lt", [0x5d], ["f32", "f32"], "i32"),
  gt: op("f32.gt", [0x5e], ["f32", "f32"], "i32"),
  add: op("f32.add", [0x92], ["f32", "f32"], "f32"),
  sub: op("f32.sub", [0x93], ["f32", "f32"], "f32"),
  mul: op("f32.mul", [0x94], ["f32", "f32"], "f32"),
  div: op("f32.div", [0x95], ["f32", "f32"], "f32"),
  min: op("f32.min", [0x96], ["f32", "f32"], "f32"),
  max: op("f32.max", [0x97], ["f32", "f32"], "f32"),
  demote: op("f32.demote_f64", [0xb6], ["f64"], "f32"),
  sqrt: op("f32.sqrt", [0x91], ["f32"], "f32"),
};

/** `f64` instructions. */
export const f64 = {
  const: (v: number): Expr<"f64"> => expr("f64", [0x44, ...bytesOfF64(v)]),
  load: load("f64.load", [0x2b], 3, "f64"),
  store: store("f64.store", [0x39], 3, "f64"),
  lt: op("f64.lt", [0x63], ["f64", "f64"], "i32"),
  gt: op("f64.gt", [0x64], ["f64", "f64"], "i32"),
  add: op("f64.add", [0xa0], ["f64", "f64"], "f64"),
  sub: op("f64.sub", [0xa1], ["f64", "f64"], "f64"),
  mul: op("f64.mul", [0xa2], ["f64", "f64"], "f64"),
  div: op("f64.div", [0xa3], ["f64", "f64"], "f64"),
  sqrt: op("f64.sqrt", [0x9f], ["f64"], "f64"),
  promote: op("f64.promote_f32", [0xbb], ["f32"], "f64"),
  convert_i32_u: op("f64.convert_i32_u", [0xb8], ["i32"], "f64"),
  max: op("f64.max", [0xa5], ["f64", "f64"], "f64"),
};

/** `v128` instructions that do not care about lanes. */
export const v128 = {
  load: load("v128.load", simd(0x00), 4, "v128"),
  load32_splat: load("v128.load32_splat", simd(0x09), 2, "v128"),
  load32_zero: load("v128.load32_zero", simd(0x5c), 2, "v128"),
  store: store("v128.store", simd(0x0b), 4, "v128"),
  /** Stores lane `lane` of `v` (a float or int32) at `addr + offset`. */
  store32_lane: (addr: Expr, v: Expr, offset: number, lane: number): Stmt => {
    check("v128.store32_lane", addr, "i32");
    check("v128.store32_lane", v, "v128");
    return expr("void", addr, v, simd(0x5a), memarg(2, offset), [lane]);
  },
  /** Stores 64-bit lane `lane` of `v` (two floats) at `addr + offset`. */
  store64_lane: (addr: Expr, v: Expr, offset: number, lane: number): Stmt => {
    check("v128.store64_lane", addr, "i32");
    check("v128.store64_lane", v, "v128");
    return expr("void", addr, v, simd(0x5b), memarg(3, offset), [lane]);
  },
  /** `i8x16.shuffle`: bytes of `a` (0–15) and `b` (16–31) picked by `lanes`. */
  shuffle: (a: Expr, b: Expr, lanes: number[]): Expr<"v128"> => {
    check("i8x16.shuffle", a, "v128"), check("i8x16.shuffle", b, "v128");
    return expr("v128", a, b, simd(0x0d), lanes);
  },
  /** A constant from four f32 lanes. */
  f32: (a: number, b = a, c = a, d = a): Expr<"v128"> =>
    expr("v128", simd(0x0c), ...[a, b, c, d].map(bytesOfF32)),
  /** A constant from two f64 lanes. */
  f64: (a: number, b = a): Expr<"v128"> => expr("v128", simd(0x0c), ...[a, b].map(bytesOfF64)),
  /** A constant from four i32 lanes. */
  i32: (a: number, b = a, c = a, d = a): Expr<"v128"> =>
    expr("v128", simd(0x0c), [...new Uint8Array(new Int32Array([a, b, c, d]).buffer)]),
  and: op("v128.and", simd(0x4e), ["v128", "v128"], "v128"),
  andnot: op("v128.andnot", simd(0x4f), ["v128", "v128"], "v128"),
  or: op("v128.or", simd(0x50), ["v128", "v128"], "v128"),
  xor: op("v128.xor", simd(0x51), ["v128", "v128"], "v128"),
  /** Lanes of `a` where `mask` bits are set, else of `b`. */
  bitselect: op("v128.bitselect", simd(0x52), ["v128", "v128", "v128"], "v128"),
};

/** `f32x4` instructions (four float32 lanes). */
export const f32x4 = {
  splat: op("f32x4.splat", simd(0x13), ["f32"], "v128"),
  extract_lane: (v: Expr, lane: number): Expr<"f32"> => {
    check("f32x4.extract_lane", v, "v128");
    return expr("f32", v, simd(0x1f), [lane]);
  },
  eq: op("f32x4.eq", simd(0x41), ["v128", "v128"], "v128"),
  lt: op("f32x4.lt", simd(0x43), ["v128", "v128"], "v128"),
  gt: op("f32x4.gt", simd(0x44), ["v128", "v128"], "v128"),
  ge: op("f32x4.ge", simd(0x46), ["v128", "v128"], "v128"),
  nearest: op("f32x4.nearest", simd(0x6a), ["v128"], "v128"),
  abs: op("f32x4.abs", simd(0xe0), ["v128"], "v128"),
  neg: op("f32x4.neg", simd(0xe1), ["v128"], "v128"),
  sqrt: op("f32x4.sqrt", simd(0xe3), ["v128"], "v128"),
  add: op("f32x4.add", simd(0xe4), ["v128", "v128"], "v128"),
  sub: op("f32x4.sub", simd(0xe5), ["v128", "v128"], "v128"),
  mul: op("f32x4.mul", simd(0xe6), ["v128", "v128"], "v128"),
  div: op("f32x4.div", simd(0xe7), ["v128", "v128"], "v128"),
  min: op("f32x4.min", simd(0xe8), ["v128", "v128"], "v128"),
  max: op("f32x4.max", simd(0xe9), ["v128", "v128"], "v128"),
  /** `b < a ? b : a` (one `minps`; no NaN or ±0 rules of `min`). */
  pmin: op("f32x4.pmin", simd(0xea), ["v128", "v128"], "v128"),
  /** `a < b ? b : a` (one `maxps`; no NaN or ±0 rules of `max`). */
  pmax: op("f32x4.pmax", simd(0xeb), ["v128", "v128"], "v128"),
  convert_i32x4_s: op("f32x4.convert_i32x4_s", simd(0xfa), ["v128"], "v128"),
  trunc_sat_to_i32x4: op("i32x4.trunc_sat_f32x4_s", simd(0xf8), ["v128"], "v128"),
  /** `a·b + c` with one rounding or two (relaxed SIMD). */
  relaxed_madd: op("f32x4.relaxed_madd", simd(0x105), ["v128", "v128", "v128"], "v128"),
};

/** `i32x4` instructions (four int32 lanes). */
export const i32x4 = {
  splat: op("i32x4.splat", simd(0x11), ["i32"], "v128"),
  extract_lane: (v: Expr, lane: number): Expr<"i32"> => {
    check("i32x4.extract_lane", v, "v128");
    return expr("i32", v, simd(0x1b), [lane]);
  },
  shl: op("i32x4.shl", simd(0xab), ["v128", "i32"], "v128"),
  shr_u: op("i32x4.shr_u", simd(0xad), ["v128", "i32"], "v128"),
  add: op("i32x4.add", simd(0xae), ["v128", "v128"], "v128"),
  sub: op("i32x4.sub", simd(0xb1), ["v128", "v128"], "v128"),
};

/** `f64x2` instructions (two float64 lanes). */
export const f64x2 = {
  splat: op("f64x2.splat", simd(0x14), ["f64"], "v128"),
  extract_lane: (v: Expr, lane: number): Expr<"f64"> => {
    check("f64x2.extract_lane", v, "v128");
    return expr("f64", v, simd(0x21), [lane]);
  },
  add: op("f64x2.add", simd(0xf0), ["v128", "v128"], "v128"),
  sub: op("f64x2.sub", simd(0xf1), ["v128", "v128"], "v128"),
  mul: op("f64x2.mul", simd(0xf2), ["v128", "v128"], "v128"),
  div: op("f64x2.div", simd(0xf3), ["v128", "v128"], "v128"),
  sqrt: op("f64x2.sqrt", simd(0xef), ["v128"], "v128"),
  promote_low_f32x4: op("f64x2.promote_low_f32x4", simd(0x5f), ["v128"], "v128"),
  /** Two f64 lanes rounded to f32 in lanes 0 and 1; lanes 2 and 3 zero. */
  demote_to_f32x4: op("f32x4.demote_f64x2_zero", simd(0x5e), ["v128"], "v128"),
};

/** Bulk memory: `memory.copy` and `memory.fill` (byte counts). */
export const memory = {
  copy: op("memory.copy", [0xfc, 10, 0, 0], ["i32", "i32", "i32"], "void"),
  fill: op("memory.fill", [0xfc, 11, 0], ["i32", "i32", "i32"], "void"),
};

/** A local variable (or parameter) of a function. */
export class Local<T extends ValType = ValType> {
  /** Its index among the function's parameters and locals. */
  readonly index: number;
  /** Its type. */
  readonly type: T;

  /** A local numbered `index`. */
  constructor(index: number, type: T) {
    this.index = index;
    this.type = type;
  }

  /** Its value. */
  get(): Expr<T> {
    return expr(this.type, [0x20, ...uleb(this.index)]);
  }

  /** Stores `value`. */
  set(value: Expr): Stmt {
    check(`local ${this.index}`, value, this.type);
    return expr("void", value, [0x21, ...uleb(this.index)]);
  }

  /** Stores `value` and leaves it on the stack. */
  tee(value: Expr): Expr<T> {
    check(`local ${this.index}`, value, this.type);
    return expr(this.type, value, [0x22, ...uleb(this.index)]);
  }

  /** `this += n` for an `i32` local. */
  inc(n: number | Expr<"i32">): Stmt {
    const by = typeof n === "number" ? i32.const(n) : n;
    return this.set(i32.add(this.get() as Expr<"i32">, by));
  }
}

/** Statements in order. */
export function seq(...stmts: (Stmt | Stmt[])[]): Stmt {
  return expr("void", ...stmts.flat());
}

/** `block … end`: `br(0)` inside jumps past its end. */
export function block(...body: (Stmt | Stmt[])[]): Stmt {
  return expr("void", [0x02, 0x40], seq(...body), [0x0b]);
}

/** `loop … end`: `br(0)` inside jumps back to its start. */
export function loop(...body: (Stmt | Stmt[])[]): Stmt {
  return expr("void", [0x03, 0x40], seq(...body), [0x0b]);
}

/** Branch to the `depth`-th enclosing label. */
export function br(depth: number): Stmt {
  return expr("void", [0x0c, ...uleb(depth)]);
}

/** Branch to the `depth`-th enclosing label when `cond` is non-zero. */
export function brIf(depth: number, cond: Expr): Stmt {
  check("br_if", cond, "i32");
  return expr("void", cond, [0x0d, ...uleb(depth)]);
}

/** `if cond then … [else …] end`. */
export function ifThen(cond: Expr, then: Stmt | Stmt[], otherwise?: Stmt | Stmt[]): Stmt {
  check("if", cond, "i32");
  const tail = otherwise === undefined ? [] : [[0x05], seq(otherwise)];
  return expr("void", cond, [0x04, 0x40], seq(then), ...tail, [0x0b]);
}

/** Return from the function (with `value` when it has a result). */
export function ret(value?: Expr): Stmt {
  return value === undefined ? expr("void", [0x0f]) : expr("void", value, [0x0f]);
}

/** Discards a value. */
export function drop(value: Expr): Stmt {
  return expr("void", value, [0x1a]);
}

/**
 * `for (i = from; i < to; i += step) body`, as a guarded do-while (one branch per iteration):
 * the body does not run when `from >= to` (signed comparison).
 */
export function forRange(
  i: Local<"i32">,
  from: Expr,
  to: Expr,
  step: number | Expr<"i32">,
  ...body: (Stmt | Stmt[])[]
): Stmt {
  return seq(
    i.set(from),
    ifThen(i32.lt_s(i.get(), to), loop(...body, i.inc(step), brIf(0, i32.lt_s(i.get(), to)))),
  );
}

/** A function's parameters, as locals, by name. */
export type Params<P extends Record<string, ValType>> = { [K in keyof P]: Local<P[K]> };

/** A function being defined: its parameters and locals. */
export class FunctionBuilder<P extends Record<string, ValType> = Record<string, ValType>> {
  /** Its index in the module (for `call`). */
  readonly index: number;
  /** Parameter types in order. */
  readonly paramTypes: ValType[];
  /** Result type, or `"void"`. */
  readonly result: ExprType;
  /** The parameters by name. */
  readonly params: Params<P>;
  #locals: ValType[] = [];
  #consts?: Consts;

  /** A function numbered `index` with named parameters. */
  constructor(index: number, params: P, result: ExprType) {
    this.index = index;
    this.paramTypes = Object.values(params);
    this.result = result;
    const named = {} as Record<string, Local>;
    Object.entries(params).forEach(([name, type], i) => named[name] = new Local(i, type));
    this.params = named as Params<P>;
  }

  /**
   * The function's vector constants: each is set once, in a prologue the module builder puts
   * before the body (see {@linkcode Consts}).
   */
  get consts(): Consts {
    return this.#consts ??= new Consts(this as unknown as FunctionBuilder);
  }

  /** A new local of `type` (zero-initialised). */
  local<T extends ValType>(type: T): Local<T> {
    this.#locals.push(type);
    return new Local(this.paramTypes.length + this.#locals.length - 1, type);
  }

  /** `n` new locals of `type`. */
  locals<T extends ValType>(type: T, n: number): Local<T>[] {
    return Array.from({ length: n }, () => this.local(type));
  }

  /** The local declarations, run-length encoded as the format wants. */
  encodeLocals(): number[] {
    const runs: [number, ValType][] = [];
    for (const t of this.#locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    return [...uleb(runs.length), ...runs.flatMap(([n, t]) => [...uleb(n), VALTYPE[t]])];
  }

  /** Calls this function with `args`. */
  call(...args: Expr[]): Expr {
    if (args.length !== this.paramTypes.length) {
      throw new TypeError(`call: ${args.length} arguments, expected ${this.paramTypes.length}`);
    }
    args.forEach((a, i) => check(`call argument ${i}`, a, this.paramTypes[i]));
    return expr(this.result, ...args, [0x10, ...uleb(this.index)]);
  }
}

/**
 * Vector constants of one function, each set once in its prologue and read from a local:
 * the engines rebuild a `v128.const` at every use inside a loop, a local stays in a register.
 */
export class Consts {
  readonly #f: FunctionBuilder;
  readonly #locals = new Map<string, Local<"v128">>();
  readonly #setup: Stmt[] = [];

  /** Constants of `f`. */
  constructor(f: FunctionBuilder) {
    this.#f = f;
  }

  #get(key: string, value: Expr<"v128">): Expr<"v128"> {
    let l = this.#locals.get(key);
    if (l === undefined) {
      l = this.#f.local("v128");
      this.#locals.set(key, l);
      this.#setup.push(l.set(value));
    }
    return l.get();
  }

  /** Four lanes of the float32 `v`. */
  f32(v: number): Expr<"v128"> {
    return this.#get(`f${Math.fround(v)}`, v128.f32(v));
  }

  /** Two lanes of the float64 `v`. */
  f64(v: number): Expr<"v128"> {
    return this.#get(`d${v}`, v128.f64(v));
  }

  /** Four lanes of the int32 `v`. */
  i32(v: number): Expr<"v128"> {
    return this.#get(`i${v | 0}`, v128.i32(v));
  }

  /** The statements setting every constant used so far: put them first in the body. */
  prologue(): Stmt[] {
    return this.#setup;
  }
}

/** Limits of an imported memory, in 64 KiB pages. */
export interface MemoryImport {
  /** Pages at instantiation. */
  initial: number;
  /** Largest size in pages (required when `shared`). */
  maximum?: number;
  /** A shared memory (backed by a `SharedArrayBuffer`). */
  shared?: boolean;
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/**
 * Assembles a module: functions (exported by name) and at most one imported memory
 * (`env.memory`).
 */
export class ModuleBuilder {
  #memory?: MemoryImport;
  #funcs: { name?: string; builder: FunctionBuilder; body: Stmt | Expr }[] = [];
  #declared: FunctionBuilder[] = [];

  /** Imports the memory every load and store addresses, as `env.memory`. */
  importMemory(limits: MemoryImport): this {
    this.#memory = limits;
    return this;
  }

  /**
   * Declares a function so others can call it before its body is given; define it with
   * {@linkcode ModuleBuilder.define}.
   */
  declare<P extends Record<string, ValType>>(params: P, result: ExprType): FunctionBuilder<P> {
    const f = new FunctionBuilder(this.#declared.length, params, result);
    this.#declared.push(f as unknown as FunctionBuilder);
    return f;
  }

  /** Gives a declared function its body (statements, then the result expression if any). */
  define<P extends Record<string, ValType>>(
    f: FunctionBuilder<P>,
    name: string | undefined,
    body: (Stmt | Expr)[],
  ): void {
    const prologue = f.consts.prologue();
    this.#funcs[f.index] = {
      name,
      builder: f as unknown as FunctionBuilder,
      body: seqAny([...prologue, ...body]),
    };
  }

  /**
   * Declares and defines a function in one go; `name` exports it (`undefined`: internal).
   * `build` receives the parameters and the builder (for locals) and returns the body.
   */
  func<P extends Record<string, ValType>>(
    name: string | undefined,
    params: P,
    result: ExprType,
    build: (p: Params<P>, f: FunctionBuilder<P>) => (Stmt | Expr)[],
  ): FunctionBuilder<P> {
    const f = this.declare(params, result);
    this.define(f, name, build(f.params, f));
    return f;
  }

  /** The module's bytes. */
  toBytes(): Uint8Array<ArrayBuffer> {
    const funcs = this.#declared.map((_, i) => {
      const def = this.#funcs[i];
      if (def === undefined) throw new Error(`function ${i} was declared but not defined`);
      return def;
    });
    const sig = (f: FunctionBuilder) =>
      [0x60, ...vec(f.paramTypes.map((t) => [VALTYPE[t]]))].concat(
        f.result === "void" ? [0] : [1, VALTYPE[f.result]],
      );
    const types: number[][] = [];
    const typeIndex = funcs.map(({ builder }) => {
      const s = sig(builder), key = s.join();
      let at = types.findIndex((t) => t.join() === key);
      if (at < 0) at = types.push(s) - 1;
      return at;
    });
    const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    out.push(...section(1, vec(types)));
    if (this.#memory !== undefined) {
      const { initial, maximum, shared = false } = this.#memory;
      const flags = (maximum === undefined ? 0 : 1) | (shared ? 2 : 0);
      const limits = [flags, ...uleb(initial), ...(maximum === undefined ? [] : uleb(maximum))];
      out.push(...section(2, vec([[...utf8("env"), ...utf8("memory"), 0x02, ...limits]])));
    }
    out.push(...section(3, vec(typeIndex.map((t) => uleb(t)))));
    const exports = funcs.flatMap((f, i) =>
      f.name === undefined ? [] : [[...utf8(f.name), 0x00, ...uleb(i)]]
    );
    out.push(...section(7, vec(exports)));
    const bodies = funcs.map(({ builder, body }) => {
      const code = [...builder.encodeLocals(), ...body.code, 0x0b];
      return [...uleb(code.length), ...code];
    });
    out.push(...section(10, vec(bodies)));
    // the "name" custom section: profilers and stack traces show the functions by name
    const names = funcs.flatMap((f, i) =>
      f.name === undefined ? [] : [[...uleb(i), ...utf8(f.name)]]
    );
    const nameSub = vec(names);
    out.push(...section(0, [...utf8("name"), 1, ...uleb(nameSub.length), ...nameSub]));
    return new Uint8Array(out);
  }
}

function seqAny(parts: (Stmt | Expr)[]): Expr {
  const last = parts[parts.length - 1];
  return expr(last?.type ?? "void", ...parts);
}
