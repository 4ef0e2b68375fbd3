"""Checks a README's ```python blocks against the generated Python package.

    /usr/bin/python3 scripts/check-readme-python.py README.md dist/python-src/python/src/cdk_sagemaker_byoa/__init__.py

Used on README.md (its hand-written Python) and on the Python package's
README (every TypeScript example, as jsii-rosetta translated it).

Running them would need the jsii runtime and aws-cdk-lib's Python package from
PyPI, which cannot be reached here, so the check is static:
- every block compiles (warnings as errors);
- every name imported from cdk_sagemaker_byoa is a class of the generated module;
- every `Name.member` of such a class exists (static methods, constants, enum
  members), and every keyword argument given to `Name(...)` or
  `Name.method(...)` is a parameter of it.
Names from other packages (aws_cdk, constructs) are not checked.
"""
import ast
import re
import sys
import warnings

MODULE = "cdk_sagemaker_byoa"


def python_blocks(readme):
    for m in re.finditer(r"^```python[^\n]*\n(.*?)^```", readme, re.S | re.M):
        yield readme.count("\n", 0, m.start()) + 2, m.group(1)


def classes_of(generated):
    """class name -> {member name -> set of parameter names (None: not callable)}"""
    out = {}
    for node in ast.parse(generated).body:
        if not isinstance(node, ast.ClassDef):
            continue
        members = {}
        for item in node.body:
            if isinstance(item, ast.FunctionDef):
                a = item.args
                members[item.name] = {p.arg for p in a.args + a.kwonlyargs + a.posonlyargs} - {"self", "cls"}
            elif isinstance(item, ast.Assign):
                for t in item.targets:
                    if isinstance(t, ast.Name):
                        members[t.id] = None
        out[node.name] = members
    return out


def problems_in(block, line, classes, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            tree = compile(block, f"{name}:{line}", "exec", ast.PyCF_ONLY_AST)
        except (SyntaxError, SyntaxWarning) as e:
            return [f"{name} line {line + (e.lineno or 1) - 1}: does not compile: {e.msg}"]
    imported, problems = set(), []
    where = lambda node: f"{name} line {line + node.lineno - 1}"
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == MODULE:
            for a in node.names:
                if a.name not in classes:
                    problems.append(f"{where(node)}: {MODULE} has no {a.name}")
                imported.add(a.asname or a.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in imported:
            if node.attr not in classes.get(node.value.id, {}):
                problems.append(f"{where(node)}: {node.value.id} has no member {node.attr}")
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in imported:
                params = classes.get(f.id, {}).get("__init__")
                target = f.id
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in imported:
                params = classes.get(f.value.id, {}).get(f.attr)
                target = f"{f.value.id}.{f.attr}"
            else:
                continue
            for kw in node.keywords:
                if kw.arg is not None and params is not None and kw.arg not in params:
                    problems.append(f"{where(node)}: {target}() has no parameter {kw.arg}; it takes {', '.join(sorted(params))}")
    return problems


def main(readme_path, generated_path):
    readme = open(readme_path, encoding="utf8").read()
    classes = classes_of(open(generated_path, encoding="utf8").read())
    blocks = list(python_blocks(readme))
    problems = [p for line, block in blocks for p in problems_in(block, line, classes, readme_path)]
    if problems:
        sys.exit(f"[check-readme-python] the Python in {readme_path} does not match the package:\n  " + "\n  ".join(problems))
    print(f"[check-readme-python] {readme_path}: {len(blocks)} python blocks compile and use only names {MODULE} has", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:])
