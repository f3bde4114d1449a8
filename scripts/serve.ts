/**
 * Serves the playground: `deno task serve [--port N] [--no-isolation]` builds the bundle and
 * serves `web/` at `/` and the bundle at `/dist/`, on 127.0.0.1 only, with the
 * cross-origin-isolation headers (`COOP: same-origin`, `COEP: require-corp`) that
 * `SharedArrayBuffer`, and so the workers, need. `--no-isolation` leaves them out, to see the
 * page train on one thread.
 *
 * @module
 */

import { type FlagSpec, helpText, parseFlags, UsageError } from "../lib/std/cli.ts";
import { extname, fromFileUrl, join, normalize } from "../lib/std/path.ts";
import { build } from "./build.ts";

const FLAGS: Record<string, FlagSpec> = {
  port: {
    type: "number",
    help: "port on 127.0.0.1",
    default: 8000,
    integer: true,
    min: 0,
    max: 65535,
  },
  isolation: {
    type: "boolean",
    help: "send the cross-origin-isolation headers (workers need them)",
    default: true,
  },
  help: { type: "boolean", help: "show this help", default: false },
};
const USAGE = "deno task serve [--port N] [--no-isolation]";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

/**
 * A request handler serving `web` at `/` and `dist` at `/dist/`; with `isolated`, every
 * response carries the cross-origin-isolation headers.
 */
export function playgroundHandler(
  web: string,
  dist: string,
  isolated: boolean,
): (req: Request) => Promise<Response> {
  const headers = (type: string): HeadersInit => ({
    "content-type": type,
    "cache-control": "no-store",
    ...(isolated
      ? {
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-embedder-policy": "require-corp",
        "cross-origin-resource-policy": "same-origin",
      }
      : {}),
  });
  return async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    const [root, rest] = path.startsWith("/dist/")
      ? [dist, path.slice("/dist/".length)]
      : [web, path === "/" ? "index.html" : path.slice(1)];
    const file = normalize(join(root, rest));
    const type = TYPES[extname(file)];
    if (rest.includes("..") || type === undefined || !file.startsWith(normalize(root))) {
      return new Response("not found", { status: 404, headers: headers("text/plain") });
    }
    try {
      return new Response(await Deno.readFile(file), { headers: headers(type) });
    } catch {
      return new Response("not found", { status: 404, headers: headers("text/plain") });
    }
  };
}

if (import.meta.main) {
  let flags;
  try {
    flags = parseFlags(Deno.args, FLAGS);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`error: ${e.message}\nusage: ${USAGE}`);
    Deno.exit(2);
  }
  if (flags.help) {
    console.log(helpText(USAGE, FLAGS));
    Deno.exit(0);
  }
  const root = fromFileUrl(new URL("../", import.meta.url));
  const dist = join(root, "dist");
  await build(dist);
  const isolated = flags.isolation as boolean;
  Deno.serve(
    {
      hostname: "127.0.0.1",
      port: flags.port as number,
      onListen: ({ port }) =>
        console.log(
          `saiki playground: http://127.0.0.1:${port}/` +
            (isolated ? "" : " (not cross-origin isolated: training on one thread)"),
        ),
    },
    playgroundHandler(join(root, "web"), dist, isolated),
  );
}
