// Parses the AsyncAPI document in the file named by argv[2] (JSON or YAML) with the
// official parser, prints every diagnostic as a JSON line, and exits 1 when any has
// error severity (0) or the parser returned no document.
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const text = readFileSync(process.argv[2], "utf8");
const { document, diagnostics } = await new Parser().parse(text);
for (const d of diagnostics) {
  console.log(JSON.stringify({ severity: d.severity, code: d.code, message: d.message, path: d.path }));
}
const errors = diagnostics.filter((d) => d.severity === 0);
if (!document || errors.length > 0) {
  console.error(`${errors.length} error(s); document ${document ? "parsed" : "missing"}`);
  process.exit(1);
}
console.log(JSON.stringify({ ok: true, channels: document.channels().length, operations: document.operations().length }));
