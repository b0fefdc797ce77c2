"""GenSON on the generalisation split: reads a JSON array of training sets (each an array of
samples) on stdin, writes a JSON array of schemas, one per set, on stdout."""
import json
import sys

from genson import SchemaBuilder

out = []
for samples in json.load(sys.stdin):
    b = SchemaBuilder()
    for s in samples:
        b.add_object(s)
    out.append(b.to_schema())
json.dump(out, sys.stdout)
