/**
 * A stand-in for `Deno.jupyter`, which exists only inside `deno jupyter`: the notebooks test
 * runs a notebook's code cells as a module that shadows `Deno` with a proxy whose `jupyter` is
 * this. `display` checks that it was given an SVG chart the way the notebooks show them
 * (`{ "image/svg+xml": svg }, { raw: true }`) and prints one line for it.
 *
 * @module
 */

/** The one-line summary of an SVG chart: `<display image/svg+xml: 3591 bytes, "title">`. */
export function displayLine(svg: string): string {
  const title = svg.match(/<text[^>]*>([^<]*)<\/text>/)?.[1] ?? "";
  const unescaped = title.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
  const bytes = new TextEncoder().encode(svg).length;
  return `<display image/svg+xml: ${bytes} bytes, ${JSON.stringify(unescaped)}>`;
}

/** `Deno.jupyter.display` for SVG bundles, printing {@linkcode displayLine}. */
export const jupyter = {
  display(bundle: Record<string, unknown>, options?: { raw?: boolean }): Promise<void> {
    const svg = bundle?.["image/svg+xml"];
    if (typeof svg !== "string" || !svg.startsWith("<svg") || !svg.trimEnd().endsWith("</svg>")) {
      throw new Error(
        `Deno.jupyter.display: expected { "image/svg+xml": "<svg …</svg>" }, got the keys ` +
          `${JSON.stringify(Object.keys(bundle ?? {}))}`,
      );
    }
    if (options?.raw !== true) {
      throw new Error("Deno.jupyter.display: expected { raw: true } (the bundle is raw data)");
    }
    console.log(displayLine(svg));
    return Promise.resolve();
  },
};
