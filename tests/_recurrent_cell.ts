/** Checks shared by the tests of the one-state cells, RNN and GRU (LSTM's carries `c` too). */

import { dot } from "../lib/layers/gradcheck.ts";
import type { GRU } from "../lib/layers/gru.ts";
import type { RNN } from "../lib/layers/rnn.ts";
import { assertAllClose, loadFixture, T } from "./_helpers.ts";
import { gradCheckCell } from "./layers/_recurrent.ts";

type Cell = typeof RNN | typeof GRU;

/** Runs the `<name>_cell.json` fixture: forward, backward and grads, labelled `<name> …`. */
export function checkCellFixture(name: string, Cell: Cell): void {
  const f = loadFixture(`${name}_cell`);
  const cell = new Cell(T(f.inputs.Wx), T(f.inputs.Wh), T(f.inputs.b));
  assertAllClose(
    cell.forward(T(f.inputs.x), T(f.inputs.h_prev)),
    f.forward.h_next,
    `${name} h_next`,
  );
  const [dx, dhPrev] = cell.backward(T(f.upstream.dh_next));
  assertAllClose(dx, f.backward.dx, `${name} dx`);
  assertAllClose(dhPrev, f.backward.dh_prev, `${name} dh_prev`);
  ["dWx", "dWh", "db"].forEach((g, i) => assertAllClose(cell.grads[i], f.grads[g], `${name} ${g}`));
}

/** Numerical gradient check of a cell of `gates` gates (D 3, H 4, N 2) on `Σ h_next ⊙ r`. */
export function gradCheckOneStateCell(Cell: Cell, gates: number): void {
  gradCheckCell((rng) => {
    const G = gates * 4;
    const cell = new Cell(rng.randn([3, G], 0.5), rng.randn([4, G], 0.5), rng.randn([G]));
    const x = rng.randn([2, 3]), hPrev = rng.randn([2, 4]), r = rng.randn([2, 4]);
    return {
      loss: () => dot(cell.forward(x, hPrev), r),
      backward: () => {
        const [dx, dhPrev] = cell.backward(r).map((t) => t.clone());
        return [
          { name: "x", value: x, grad: dx },
          { name: "hPrev", value: hPrev, grad: dhPrev },
          ...cell.params.map((value, i) => ({ name: `p${i}`, value, grad: cell.grads[i] })),
        ];
      },
    };
  });
}
