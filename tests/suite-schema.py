#!/usr/bin/python3
"""suite-schema - docs/suite-schema.json applied the way an editor applies it,
for tests/e2e-schema.sh.

    suite-schema.py check SCHEMA FILE...       one line per file: FILE accept, or
                                               FILE reject WHY (YAML or schema)
    suite-schema.py lint SCHEMA                the schema is valid 2020-12 and every
                                               key has a description; prints problems
    suite-schema.py keys SCHEMA                every key name the schema defines
    suite-schema.py kinds SCHEMA               the image kinds it allows
    suite-schema.py mutate SCHEMA DIR FILE...  writes DIR/NAME.mN.yaml: each suite
                                               with one key dropped, one unknown key
                                               added or one value of another type

Files are read as YAML 1.2 with the core schema, as yaml-language-server reads
them (PyYAML alone is YAML 1.1: `yes` would be a boolean, `010` octal and `<<`
a merge): mapping keys are the scalars' text, a key given twice is an error (as
it is to the editor's YAML layer and to the parser), and a second document is
an error (to the parser; an editor would check each document).
"""
import json
import os
import re
import sys

import jsonschema
import yaml


class CoreLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2's core schema in place of 1.1's."""


CoreLoader.yaml_implicit_resolvers = {}
for _tag, _re, _first in [
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+.0123456789"),
]:
    CoreLoader.add_implicit_resolver("tag:yaml.org,2002:" + _tag, re.compile(_re), list(_first))


def _core_int(loader, node):
    v = loader.construct_scalar(node)
    if v.startswith("0o"):
        return int(v[2:], 8)
    if v.startswith("0x"):
        return int(v[2:], 16)
    return int(v, 10)


def _mapping(loader, node, deep=False):
    if not isinstance(node, yaml.MappingNode):
        raise yaml.constructor.ConstructorError(None, None, "expected a mapping",
                                                node.start_mark)
    out = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(None, None, "a key must be a string",
                                                    key_node.start_mark)
        if key_node.value in out:
            raise yaml.constructor.ConstructorError(
                None, None, "duplicate key '%s'" % key_node.value, key_node.start_mark)
        out[key_node.value] = loader.construct_object(value_node, deep=deep)
    return out


CoreLoader.add_constructor("tag:yaml.org,2002:int", _core_int)
CoreLoader.construct_mapping = _mapping


def load_schema(path):
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def first_error(validator, data):
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    e = errors[0]
    return "/%s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message[:200])


def check(schema, files):
    validator = jsonschema.Draft202012Validator(schema)
    for path in files:
        try:
            with open(path, "rb") as f:
                data = yaml.load(f, Loader=CoreLoader)
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            why = "YAML: " + " ".join(str(e).split())[:200]
        else:
            why = first_error(validator, data)
        print("%s accept" % path if why is None else "%s reject %s" % (path, why))


def walk(node, where):
    """(where, schema) of every schema object below node."""
    if isinstance(node, dict):
        yield where, node
        for k, v in node.items():
            yield from walk(v, where + "/" + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, "%s/%d" % (where, i))


# Conditions restate keys (if kind is linux, then ...): they need no descriptions.
CONDITIONS = {"if", "then", "else", "not", "contains"}


def lint(schema):
    bad = 0
    for key in ("$schema", "$id", "description"):
        if key not in schema:
            print("missing top-level %s" % key)
            bad = 1
    for where, node in walk(schema, "#"):
        if CONDITIONS & set(where.split("/")):
            continue
        if where.endswith("/properties") or where == "#/$defs":
            for k, v in node.items():
                if isinstance(v, dict) and "description" not in v:
                    print("%s/%s has no description" % (where, k))
                    bad = 1
    return bad


def keys(schema):
    names = set()
    for where, node in walk(schema, "#"):
        if where.endswith("/properties"):
            names.update(node)
    for n in sorted(names):
        print(n)


# ---- mutants: one change each, where the parser and the schema must agree ----

UNKNOWN = "zz_unknown"

def replacements(value):
    """Another type, null, and integers just out of the ranges the suite uses."""
    if isinstance(value, bool):
        return [None, "true"]
    if isinstance(value, int):
        return [None, "zz", str(value), 0, 1001, 600001]
    if isinstance(value, str):
        return [None, "", {}]
    return [None, "zz", type(value)()]


NAMED = ("images", "sensors", "content")


def shape(path):
    """A kind of place: the last two steps of its path, list indices and defined
    names folded (a boot step's expect, an image's kind, a scenario's name)."""
    folded = tuple("[]" if isinstance(p, int) else
                   "*" if i == 1 and path[0] in NAMED else p for i, p in enumerate(path))
    return folded[-2:]


def places(data, path=()):
    yield path, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from places(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from places(v, path + (i,))


def edited(data, path, fn):
    """A copy of data with the value at path replaced by fn(parent, key)."""
    if not path:
        return fn(None, None)
    if isinstance(data, dict):
        copy = dict(data)
    else:
        copy = list(data)
    if len(path) == 1:
        fn(copy, path[0])
    else:
        copy[path[0]] = edited(data[path[0]], path[1:], fn)
    return copy


def mutants(data, seen):
    for path, value in places(data):
        if isinstance(value, dict) and ("+", shape(path)) not in seen:
            seen.add(("+", shape(path)))
            yield edited(data, path + (UNKNOWN,), lambda c, k: c.__setitem__(k, 1))
        if not path or not isinstance(path[-1], str):
            continue
        if ("-", shape(path)) not in seen:
            seen.add(("-", shape(path)))
            yield edited(data, path, lambda c, k: c.pop(k))
        for r in replacements(value):
            if ("=", shape(path), repr(r)) in seen or r == value:
                continue
            seen.add(("=", shape(path), repr(r)))
            yield edited(data, path, lambda c, k, r=r: c.__setitem__(k, r))


def mutate(outdir, files):
    seen = set()
    for path in files:
        with open(path, "rb") as f:
            data = yaml.load(f, Loader=CoreLoader)
        base = os.path.basename(path).rsplit(".", 1)[0]
        for n, m in enumerate(mutants(data, seen)):
            with open(os.path.join(outdir, "%s.m%d.yaml" % (base, n)), "w",
                      encoding="utf-8") as out:
                yaml.safe_dump(m, out, sort_keys=False, allow_unicode=True)


def main(argv):
    if len(argv) < 3 or argv[1] not in ("check", "lint", "keys", "kinds", "mutate"):
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    schema = load_schema(argv[2])
    if argv[1] == "check":
        check(schema, argv[3:])
    elif argv[1] == "lint":
        return lint(schema)
    elif argv[1] == "keys":
        keys(schema)
    elif argv[1] == "kinds":
        print("\n".join(schema["$defs"]["image"]["properties"]["kind"]["enum"]))
    else:
        mutate(argv[3], argv[4:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
