// Fails when the committed API types differ from what docs/openapi.json generates.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "dogcare-types-"));
try {
  const fresh = join(dir, "schema.d.ts");
  execFileSync(process.execPath, ["node_modules/openapi-typescript/bin/cli.js", "../docs/openapi.json", "-o", fresh], { stdio: "pipe" });
  const committed = readFileSync("src/api/schema.d.ts", "utf8");
  if (readFileSync(fresh, "utf8") !== committed) {
    console.error("web/src/api/schema.d.ts is out of date with docs/openapi.json: run `make web` (npm run gen:types) and commit it");
    process.exit(1);
  }
  console.log("API types match docs/openapi.json");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
