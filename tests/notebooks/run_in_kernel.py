"""Runs notebooks in Deno's Jupyter kernel with nbclient; prints one JSON line per notebook.

    python3 tests/notebooks/run_in_kernel.py [--write] notebooks/000_time_rnn.ipynb ...

Each line is {"name", "error", "cells": [{"index", "outputs"}]} for the code cells; "error" is
null when every cell ran. With --write, each notebook is saved with its outputs (then run
`deno fmt notebooks/`). The kernel is the kernelspec named "deno" (`deno jupyter --install`,
or a kernelspec found through JUPYTER_PATH, as tests/notebooks/notebooks_test.ts writes one).
Each notebook runs from its own folder, so its `../mod.ts` imports resolve.

Deno 2.9's kernel can report a cell idle before it has sent the cell's last lines of output
(denoland/deno#24737); nbclient stops listening at idle and would lose them. After each cell,
this keeps listening until the kernel has been quiet for QUIET seconds and adds what arrives
for that cell.
"""

import asyncio
import json
import os
import queue
import sys

import nbclient
import nbformat

QUIET = 0.05


def main(args):
    write = "--write" in args
    paths = [a for a in args if a != "--write"]
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        client = nbclient.NotebookClient(
            nb,
            kernel_name="deno",
            timeout=300,
            record_timing=False,
            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
        )

        async def drain(cell, cell_index, execute_reply):
            parent = execute_reply["parent_header"].get("msg_id") if execute_reply else None
            while parent is not None:
                try:
                    msg = await client.kc.iopub_channel.get_msg(timeout=QUIET)
                except (queue.Empty, asyncio.TimeoutError):
                    return
                if msg["parent_header"].get("msg_id") == parent and msg["msg_type"] != "status":
                    client.process_message(msg, cell, cell_index)

        client.on_cell_executed = drain
        error = None
        try:
            client.execute()
        except Exception as e:  # CellExecutionError names the cell and the kernel's traceback
            error = f"{type(e).__name__}: {e}"
        cells = [
            {"index": i, "outputs": cell.outputs}
            for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code"
        ]
        print(json.dumps({"name": os.path.basename(path), "error": error, "cells": cells}))
        sys.stdout.flush()
        if write and error is None:
            nbformat.write(nb, path)


if __name__ == "__main__":
    main(sys.argv[1:])
