"""Validates JSON files against a JSON Schema (draft 2020-12) with Debian's python3-jsonschema.

Usage: validate_json_schema.py SCHEMA INSTANCE...
Prints {"<instance>": ["<error>", ...], ...} (an empty list: valid) and exits 0; exits 2 when
the schema itself is not a valid draft 2020-12 schema.
"""
import json
import sys

import jsonschema


def main(argv):
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as e:
        print("not a draft 2020-12 schema: %s" % e.message, file=sys.stderr)
        return 2
    validator = jsonschema.Draft202012Validator(schema)
    out = {}
    for path in argv[2:]:
        with open(path, encoding="utf-8") as f:
            instance = json.load(f)
        out[path] = sorted(
            "%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(root)", e.message)
            for e in validator.iter_errors(instance))
    json.dump(out, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
