// The JavaScript a first visit loads (the entry script and what index.html preloads), gzipped,
// must stay within the budget. Lazy chunks (Stripe's) are not counted: local mode never loads them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET = 150 * 1024;
const dist = "dist";
const html = readFileSync(join(dist, "index.html"), "utf8");
const files = [...html.matchAll(/(?:src|href)="\/app\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
if (!files.length) {
  console.error("no scripts found in dist/index.html: run the build first");
  process.exit(1);
}
let total = 0;
for (const file of new Set(files)) total += gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const kb = (total / 1024).toFixed(1);
if (total > BUDGET) {
  console.error(`initial JavaScript is ${kb} KiB gzip, over the ${BUDGET / 1024} KiB budget`);
  process.exit(1);
}
console.log(`initial JavaScript: ${kb} KiB gzip (budget ${BUDGET / 1024} KiB), ${files.length} file(s)`);
